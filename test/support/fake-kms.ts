/**
 * The vectors' fake KMS plugin `fake-kms-aes256gcm-nonce12` (docs/FORMATS.md#vector-files): it wraps a DEK or seed
 * as `nonce(12) ‖ AES-256-GCM(KEK, nonce, DEK, no AAD)` and fails with the generator's exact texts,
 * so replaying a vector through it reproduces the upstream outcome.
 */
import { decodeGoStdBase64 } from '../../src/bytes.ts';
import { getBackend } from '../../src/crypto/select.ts';
import { goQuote } from '../../src/go-quote.ts';
import type { KmsProviderInfo, KmsService, KmsV1Service, KmsV2Service } from '../../src/transformers/types.ts';
import type { VectorProvider } from './vectors.ts';

export type { VectorProvider };

const ALGORITHM = 'fake-kms-aes256gcm-nonce12';
const NONCE_SIZE = 12;
const backend = getBackend();

function b64(s: string): Uint8Array {
  const b = decodeGoStdBase64(s);
  if (b === null) throw new Error(`fake KMS: vector field is not valid base64: ${JSON.stringify(s)}`);
  return b;
}

function wrap(kek: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = backend.randomBytes(NONCE_SIZE);
  const sealed = backend.aesGcmSeal(kek, nonce, plain, new Uint8Array(0));
  const out = new Uint8Array(NONCE_SIZE + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE_SIZE);
  return out;
}

function unwrap(kek: Uint8Array, cipher: Uint8Array): Uint8Array {
  if (cipher.length < NONCE_SIZE) throw new Error('fakekms: ciphertext too short');
  const plain = backend.aesGcmOpen(kek, cipher.subarray(0, NONCE_SIZE), cipher.subarray(NONCE_SIZE), new Uint8Array(0));
  if (plain === null) throw new Error('fakekms: unwrap failed: cipher: message authentication failed');
  return plain;
}

function fakeConfig(p: VectorProvider): NonNullable<VectorProvider['fakeKMS']> {
  if (p.fakeKMS?.algorithm !== ALGORITHM) {
    throw new Error(`fake KMS: provider ${JSON.stringify(p.name)} does not use ${ALGORITHM}`);
  }
  return p.fakeKMS;
}

export function fakeKmsV1(p: VectorProvider): KmsV1Service {
  const kek = b64(fakeConfig(p).kek ?? '');
  return {
    encrypt: async (plain) => wrap(kek, plain),
    decrypt: async (cipher) => unwrap(kek, cipher),
  };
}

export function fakeKmsV2(p: VectorProvider): KmsV2Service {
  const fake = fakeConfig(p);
  const keks = new Map(Object.entries(fake.keks ?? {}).map(([id, kek]) => [id, b64(kek)]));
  const currentKeyID = fake.currentKeyID ?? '';
  const annotations =
    fake.annotations === undefined ? undefined : Object.fromEntries(Object.entries(fake.annotations).map(([k, v]) => [k, b64(v)]));
  // The vector's write state, when given, is what the provider considers current (stale checks).
  const statusKeyID = p.kmsv2State?.keyID ?? currentKeyID;
  return {
    status: async () => ({ keyID: statusKeyID }),
    async encrypt(plain) {
      const kek = keks.get(currentKeyID);
      if (kek === undefined) throw new Error(`fakekms: unknown keyID ${goQuote(currentKeyID)}`);
      return annotations === undefined
        ? { ciphertext: wrap(kek, plain), keyID: currentKeyID }
        : { ciphertext: wrap(kek, plain), keyID: currentKeyID, annotations };
    },
    async decrypt(req) {
      // The key ID is checked before the ciphertext, as the generator's fake does.
      const kek = keks.get(req.keyID);
      if (kek === undefined) throw new Error(`fakekms: unknown keyID ${goQuote(req.keyID)}`);
      return unwrap(kek, req.ciphertext);
    },
  };
}

/**
 * `TransformerOptions.kms` for a vector: each configured KMS provider gets the fake described by
 * the vector provider of the same name and API version. Same-named providers (legal for v1) are
 * handed out in the order the chain asks for them, which is config order.
 */
export function fakeKmsFor(providers: VectorProvider[]): (info: KmsProviderInfo) => KmsService {
  const handedOut = new Map<string, number>();
  return (info) => {
    const matches = providers.filter((p) => p.type === 'kms' && p.name === info.name && (p.apiVersion ?? 'v1') === info.apiVersion);
    const id = `${info.apiVersion}:${info.name}`;
    const i = handedOut.get(id) ?? 0;
    handedOut.set(id, i + 1);
    const p = matches[i % Math.max(matches.length, 1)];
    if (p === undefined) throw new Error(`fake KMS: the vector has no ${info.apiVersion} provider ${JSON.stringify(info.name)}`);
    return info.apiVersion === 'v1' ? fakeKmsV1(p) : fakeKmsV2(p);
  };
}

/** The KMS v2 write mode the vector's providers were in: the first v2 state's type (1 = seed). */
export function kmsV2ModeFor(providers: VectorProvider[]): 'seed' | 'dek' {
  const state = providers.find((p) => p.type === 'kms' && p.apiVersion === 'v2' && p.kmsv2State !== undefined)?.kmsv2State;
  if (state === undefined) return 'seed';
  return state.encryptedDEKSourceType === 1 ? 'seed' : 'dek';
}
