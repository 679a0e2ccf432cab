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

/**
 * Map keys (label, annotation and data keys) recur from object to object: each is made once and
 * kept, found again by a hash of its bytes. The kept string is the engine's interned copy, the one
 * a property key becomes, so adding it to a map skips the engine's own lookup.
 */
const KEY_SLOTS = 1024;
const MAX_KEPT_KEY = 64;
const keptBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(KEY_SLOTS).fill(undefined);
const keptKeys: string[] = new Array<string>(KEY_SLOTS).fill('');

/** stringFromRange for a map key. */
export function mapKeyFromRange(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n > MAX_KEPT_KEY) return stringFromRange(buf, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const slot = h & (KEY_SLOTS - 1);
  const kept = keptBytes[slot];
  if (kept !== undefined && kept.length === n) {
    let i = 0;
    while (i < n && kept[i] === buf[start + i]) i++;
    if (i === n) return keptKeys[slot]!;
  }
  const key = interned(stringFromRange(buf, start, end));
  keptBytes[slot] = buf.slice(start, end);
  keptKeys[slot] = key;
  return key;
}

/** The engine's interned copy of `s`: what Object.keys gives back for a property named `s`. */
function interned(s: string): string {
  return Object.keys({ [s]: 0 })[0] ?? s;
}
