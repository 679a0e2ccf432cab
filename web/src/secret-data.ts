import { decodeGoStdBase64, fromUtf8, isValidUtf8, toHex } from '../../src/bytes.ts';
import type { Secret } from '../../src/storage/types.ts';

/** A Secret's `data`, decoded for people: text where it is UTF-8, else hex. */
export function secretData(secret: Secret): [string, string][] {
  return Object.entries(secret.data ?? {}).map(([name, b64]) => {
    const bytes = decodeGoStdBase64(b64) ?? new Uint8Array(0);
    return [name, isValidUtf8(bytes) ? fromUtf8(bytes) : `(binary, hex) ${toHex(bytes)}`];
  });
}
