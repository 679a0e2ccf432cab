/**
 * Protobuf strings are raw bytes that Go never checks for UTF-8, so a lossless port cannot use
 * TextDecoder alone. Invalid bytes map one-to-one onto lone low surrogates U+DC80..U+DCFF (as
 * Python's "surrogateescape" does): valid UTF-8 never decodes to a lone surrogate, so the mapping
 * is unambiguous and valid text stays an ordinary string.
 */
import { utf8 } from '../bytes.ts';

// ignoreBOM: a leading U+FEFF is data (Go keeps it); TextDecoder would drop it by default.
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const ESCAPE_BASE = 0xdc00;

export function stringFromRawBytes(b: Uint8Array): string {
  try {
    return strict.decode(b);
  } catch {
    return decodeWithEscapes(b);
  }
}

function decodeWithEscapes(b: Uint8Array): string {
  let out = '';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const n = validSequenceLength(b, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += strict.decode(b.subarray(start, i)) + String.fromCharCode(ESCAPE_BASE + b[i]!);
    start = ++i;
  }
  return out + strict.decode(b.subarray(start));
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), 0 if there is none. */
function validSequenceLength(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

const ESCAPED = /[\udc80-\udcff]/;

export function rawBytesFromString(s: string): Uint8Array {
  if (!ESCAPED.test(s)) return utf8(s);
  const parts: number[] = [];
  let run = '';
  const flush = () => {
    if (run !== '') for (const x of utf8(run)) parts.push(x);
    run = '';
  };
  for (let i = 0; i < s.length; i++) {
    const u = s.charCodeAt(i);
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    // A low surrogate right after a high one is half of a real pair, not an escape.
    if (u >= 0xdc80 && u <= 0xdcff && !(prev >= 0xd800 && prev <= 0xdbff)) {
      flush();
      parts.push(u - ESCAPE_BASE);
    } else {
      run += s[i];
    }
  }
  flush();
  return Uint8Array.from(parts);
}

/** What Go prints for the same bytes: every invalid byte becomes U+FFFD. */
export function displayString(s: string): string {
  return ESCAPED.test(s) ? s.replace(/(?<![\ud800-\udbff])[\udc80-\udcff]/g, '\ufffd') : s;
}
