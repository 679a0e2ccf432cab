import { nodeCrypto } from '../node-only.ts';
import type { CryptoBackend } from './backend.ts';
import { nobleBackend } from './noble.ts';

const CBC = ['aes-128-cbc', 'aes-192-cbc', 'aes-256-cbc'] as const;
const GCM = ['aes-128-gcm', 'aes-192-gcm', 'aes-256-gcm'] as const;

function aesAlgo<T extends readonly string[]>(names: T, key: Uint8Array): T[number] {
  const n = names[(key.length >> 3) - 2];
  if (key.length % 8 !== 0 || n === undefined) throw new RangeError(`invalid AES key size ${key.length}`);
  return n;
}

function view(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * OpenSSL through node:crypto (AES-NI where the CPU has it). OpenSSL has no XSalsa20, so
 * secretbox is delegated to the pure implementation.
 */
export const nodeBackend: CryptoBackend = {
  name: 'node',
  aesCbcEncrypt(key, iv, data) {
    const c = nodeCrypto().createCipheriv(aesAlgo(CBC, key), key, iv).setAutoPadding(false);
    return view(Buffer.concat([c.update(data), c.final()]));
  },
  aesCbcDecrypt(key, iv, data) {
    const d = nodeCrypto().createDecipheriv(aesAlgo(CBC, key), key, iv).setAutoPadding(false);
    return view(Buffer.concat([d.update(data), d.final()]));
  },
  aesGcmSeal(key, nonce, plaintext, ad) {
    const c = nodeCrypto().createCipheriv(aesAlgo(GCM, key), key, nonce, { authTagLength: 16 });
    c.setAAD(ad);
    const out = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
    return view(out);
  },
  aesGcmOpen(key, nonce, sealed, ad) {
    if (sealed.length < 16) return null;
    const d = nodeCrypto().createDecipheriv(aesAlgo(GCM, key), key, nonce, { authTagLength: 16 });
    d.setAAD(ad);
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const body = d.update(sealed.subarray(0, sealed.length - 16));
    try {
      return view(Buffer.concat([body, d.final()]));
    } catch {
      return null;
    }
  },
  secretboxSeal: nobleBackend.secretboxSeal,
  secretboxOpen: nobleBackend.secretboxOpen,
  hmacSha256: (key, data) => view(nodeCrypto().createHmac('sha256', key).update(data).digest()),
  sha256: (data) => view(nodeCrypto().createHash('sha256').update(data).digest()),
  randomBytes: (n) => view(nodeCrypto().randomBytes(n)),
};
