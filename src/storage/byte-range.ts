/**
 * Strings and base64 read straight out of a range of the decrypted value, with no Uint8Array view
 * per field: making a view costs about as much as decoding a short name. Node's Buffer methods
 * read any Uint8Array's range; without Node (browsers) a view goes through the portable paths.
 */
import { toBase64 } from '../bytes.ts';
import { stringFromRawBytes } from './raw-string.ts';

type RangeToString = (this: Uint8Array, start: number, end: number) => string;

const nodeBuffer = (globalThis as { Buffer?: { prototype: { latin1Slice?: unknown; base64Slice?: unknown } } }).Buffer?.prototype;
const latin1Slice = typeof nodeBuffer?.latin1Slice === 'function' ? (nodeBuffer.latin1Slice as RangeToString) : undefined;
const base64Slice = typeof nodeBuffer?.base64Slice === 'function' ? (nodeBuffer.base64Slice as RangeToString) : undefined;

/** Past this length TextDecoder's validation is faster than looking for ASCII first. */
const ASCII_SCAN_LIMIT = 256;

/**
 * stringFromRawBytes of buf[start, end). ASCII (names, keys, labels, nearly every string) is one
 * UTF-16 unit per byte, whatever the decoder: taken as Latin-1 straight from the buffer.
 */
export function stringFromRange(buf: Uint8Array, start: number, end: number): string {
  if (latin1Slice !== undefined && end - start <= ASCII_SCAN_LIMIT) {
    let i = start;
    while (i < end && buf[i]! < 0x80) i++;
    if (i === end) return latin1Slice.call(buf, start, end);
  }
  return stringFromRawBytes(buf.subarray(start, end));
}

/** toBase64 of buf[start, end). */
export function base64FromRange(buf: Uint8Array, start: number, end: number): string {
  return base64Slice !== undefined ? base64Slice.call(buf, start, end) : toBase64(buf.subarray(start, end));
}
