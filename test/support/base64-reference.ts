/**
 * The earlier decodeGoStdBase64 (a JS number per byte: ~40 bytes of heap per input character, so
 * 50 MB of pasted base64 took ~2 GB), kept as the reference the bounded-memory decoder must equal.
 */
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function referenceGoStdBase64(s: string): Uint8Array | null {
  const chars: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 13 || c === 10) continue;
    chars.push(c);
  }
  if (chars.length % 4 !== 0) return null;
  const out: number[] = [];
  for (let i = 0; i < chars.length; i += 4) {
    const q = chars.slice(i, i + 4);
    const last = i + 4 === chars.length;
    let pad = 0;
    if (q[3] === 61) pad = q[2] === 61 ? 2 : 1;
    if (pad > 0 && !last) return null;
    const v: number[] = [];
    for (let j = 0; j < 4 - pad; j++) {
      const c = q[j]!;
      const x = c < 128 ? B64_INDEX[c]! : -1;
      if (x < 0) return null;
      v.push(x);
    }
    if (pad === 2 && q[2] !== 61) return null;
    const n = (v[0]! << 18) | (v[1]! << 12) | ((v[2] ?? 0) << 6) | (v[3] ?? 0);
    out.push((n >> 16) & 255);
    if (pad < 2) out.push((n >> 8) & 255);
    if (pad < 1) out.push(n & 255);
  }
  return Uint8Array.from(out);
}
