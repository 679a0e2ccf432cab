/**
 * The few primitives the transformers need, behind one interface so every vector suite can run
 * against each implementation (docs/FORMATS.md#providers). All operations are synchronous: both OpenSSL through
 * node:crypto and @noble/ciphers are, and it keeps the hot read path free of promise overhead.
 */
export type BackendName = 'node' | 'noble';

/**
 * The crypto primitives the transformers use, implemented by the `node` (node:crypto) and `noble`
 * (@noble/ciphers) backends; see {@link getBackend}.
 */
export interface CryptoBackend {
  readonly name: BackendName;
  /** AES-CBC without padding: `data.length` is a multiple of 16. Keys of 16/24/32 bytes. */
  aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** AES-GCM with a 12-byte nonce and 16-byte tag: returns `ciphertext ‖ tag`. */
  aesGcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array;
  /** Returns null when authentication fails (including inputs shorter than the tag). */
  aesGcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null;
  /** NaCl secretbox (XSalsa20-Poly1305), 32-byte key, 24-byte nonce: returns `tag(16) ‖ ciphertext`. */
  secretboxSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns null when authentication fails. */
  secretboxOpen(key: Uint8Array, nonce: Uint8Array, box: Uint8Array): Uint8Array | null;
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  sha256(data: Uint8Array): Uint8Array;
  randomBytes(n: number): Uint8Array;
}
