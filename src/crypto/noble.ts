import { cbc, gcm } from '@noble/ciphers/aes.js';
import { xsalsa20poly1305 } from '@noble/ciphers/salsa.js';
import { randomBytes } from '@noble/ciphers/utils.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { CryptoBackend } from './backend.ts';

/** Pure JavaScript backend: runs in browsers and any JS runtime (WebCrypto only for randomness). */
export const nobleBackend: CryptoBackend = {
  name: 'noble',
  aesCbcEncrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).encrypt(data),
  aesCbcDecrypt: (key, iv, data) => cbc(key, iv, { disablePadding: true }).decrypt(data),
  aesGcmSeal: (key, nonce, plaintext, ad) => gcm(key, nonce, ad).encrypt(plaintext),
  aesGcmOpen(key, nonce, sealed, ad) {
    if (sealed.length < 16) return null;
    try {
      return gcm(key, nonce, ad).decrypt(sealed);
    } catch {
      return null;
    }
  },
  secretboxSeal: (key, nonce, plaintext) => xsalsa20poly1305(key, nonce).encrypt(plaintext),
  secretboxOpen(key, nonce, box) {
    if (box.length < 16) return null;
    try {
      return xsalsa20poly1305(key, nonce).decrypt(box);
    } catch {
      return null;
    }
  },
  hmacSha256: (key, data) => hmac(sha256, key, data),
  sha256: (data) => sha256(data),
  randomBytes: (n) => randomBytes(n),
};
