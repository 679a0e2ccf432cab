/** Small byte helpers shared by every layer. Uint8Array only, so the library runs in browsers. */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Lossy UTF-8 decode (invalid sequences become U+FFFD); for display and for known-ASCII data. */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function isValidUtf8(b: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Accepts the `string | Uint8Array` form of authenticated data the public API takes. */
export function toBytes(v: string | Uint8Array): Uint8Array {
  return typeof v === 'string' ? utf8(v) : v;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Go's bytes.Compare / sort.Strings order on raw bytes. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError('invalid hex string');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const PAD = 0x3d;
const asciiDecoder = new TextDecoder();
/** Reused output buffer: one string allocation per call instead of a rope of 4-character pieces. */
let b64Scratch = new Uint8Array(1024);

/** Node's Buffer where there is one: its native base64 is ~6× faster than the loop below. */
const NodeBuffer = (
  globalThis as { Buffer?: { from(a: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string } } }
).Buffer;

/** Standard base64 with padding (what Go's StdEncoding and Kubernetes JSON write). */
export function toBase64(b: Uint8Array): string {
  return NodeBuffer !== undefined ? NodeBuffer.from(b.buffer, b.byteOffset, b.length).toString('base64') : toBase64Portable(b);
}

/** toBase64 without Node (browsers). */
export function toBase64Portable(b: Uint8Array): string {
  const n = Math.ceil(b.length / 3) * 4;
  if (b64Scratch.length < n) b64Scratch = new Uint8Array(n * 2);
  const o = b64Scratch;
  let j = 0;
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const x = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    o[j++] = B64_CODES[x >> 18]!;
    o[j++] = B64_CODES[(x >> 12) & 63]!;
    o[j++] = B64_CODES[(x >> 6) & 63]!;
    o[j++] = B64_CODES[x & 63]!;
  }
  if (i < b.length) {
    const two = i + 1 < b.length;
    const x = (b[i]! << 16) | (two ? b[i + 1]! << 8 : 0);
    o[j++] = B64_CODES[x >> 18]!;
    o[j++] = B64_CODES[(x >> 12) & 63]!;
    o[j++] = two ? B64_CODES[(x >> 6) & 63]! : PAD;
    o[j++] = PAD;
  }
  return asciiDecoder.decode(o.subarray(0, j));
}

const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/**
 * Go's base64.StdEncoding.DecodeString: standard alphabet, `=` padding required, `\r` and `\n`
 * ignored anywhere, every other character an error, non-zero trailing bits accepted.
 * Returns null where Go returns an error. Node's Buffer decoder is far laxer (docs/FORMATS.md#key-secrets).
 * Text as bytes decodes in place of a string (no copy); `anyWhitespace` also skips spaces and tabs
 * (pasted input). Memory: the output only, whatever the size (a pasted 150 MB value included).
 */
export function decodeGoStdBase64(s: string | Uint8Array, anyWhitespace = false): Uint8Array | null {
  if (typeof s === 'string') {
    // Only ASCII can be base64 (a wider character must not alias a valid one); no Buffer in browsers.
    const codes = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return null;
      codes[i] = c;
    }
    s = codes;
  }
  const skip = (c: number) => c === 13 || c === 10 || (anyWhitespace && (c === 32 || c === 9));
  let n = 0;
  for (let i = 0; i < s.length; i++) if (!skip(s[i]!)) n++;
  if (n % 4 !== 0) return null;
  const out = new Uint8Array((n / 4) * 3);
  const q = [0, 0, 0, 0];
  let k = 0;
  let o = 0;
  let seen = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (skip(c)) continue;
    q[k++] = c;
    if (k < 4) continue;
    k = 0;
    seen += 4;
    const pad = q[3] === PAD ? (q[2] === PAD ? 2 : 1) : 0;
    if (pad > 0 && seen !== n) return null;
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const x = j < 4 - pad ? (q[j]! < 128 ? B64_INDEX[q[j]!]! : -1) : 0;
      if (x < 0) return null;
      v = (v << 6) | x;
    }
    out[o++] = (v >> 16) & 255;
    if (pad < 2) out[o++] = (v >> 8) & 255;
    if (pad < 1) out[o++] = v & 255;
  }
  return out.subarray(0, o);
}
