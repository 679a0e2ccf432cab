/**
 * KMS v2 envelope (docs/FORMATS.md#kms-v2): the bytes after `k8s:enc:kms:v2:<name>:` are a protobuf
 * EncryptedObject. Writes reuse one DEK or seed, wrapped once by the plugin, until the plugin's
 * status reports a new key ID.
 */
import { compareBytes, concatBytes, toBase64, toBytes, utf8 } from '../bytes.ts';
import type { BackendName, CryptoBackend } from '../crypto/backend.ts';
import { resolveBackend } from '../crypto/select.ts';
import { K8sEncError } from '../errors.ts';
import { checkAesKey } from './aes-key.ts';
import { gcmOpen, gcmSealWithNonce } from './gcm.ts';
import { wrappedPluginError } from './kms-errors.ts';
import {
  AES_GCM_KEY,
  HKDF_SHA256_XNONCE_AES_GCM_SEED,
  decodeEncryptedObject,
  encodeEncryptedObject,
  validateEncryptedObject,
  type EncryptedObject,
} from './kms-v2-object.ts';
import { checkSeed, seedOpen, seedSeal } from './kms-v2-seed.ts';
import { goQuote } from '../go-quote.ts';
import { LruCache } from './lru.ts';
import { readRandom } from './random.ts';
import type { KmsV2Service, RandomSource, ReadResult, Transformer } from './types.ts';

const DEK_SOURCE_SIZE = 32;
/** Upstream's cache expires entries after an hour; a bound serves an offline tool better. */
const CACHE_SIZE = 1000;
/** The counter is incremented before use, so the first nonce tail is LE64(1 000 000 001). */
const NONCE_COUNTER_START = 1_000_000_000n;
const NONCE_COUNTER_MAX = 2n ** 64n - 1n;
const NONCE_RANDOM_SIZE = 4;

/** Options of createKmsV2Transformer; `backend` and `random` as in createTransformer's options. */
export interface KmsV2Params {
  /** The provider's name in the configuration: it is part of every value's prefix. */
  name: string;
  service: KmsV2Service;
  /** What writes use: 'seed' (Kubernetes >= 1.29, the default) or 'dek' (1.25-1.28); reads take both. */
  mode?: 'seed' | 'dek';
  backend?: BackendName | CryptoBackend;
  /** Draws seeds, DEKs and nonces; the backend's randomBytes by default. */
  random?: RandomSource;
  /** Where the DEK-mode nonce counter starts for each new DEK; tests set it near the 64-bit wrap. */
  nonceCounterStart?: bigint;
}

/** The DEK or seed in use for writes and the EncryptedObject fields the plugin gave for it. */
interface WriteState {
  keyMaterial: Uint8Array;
  object: EncryptedObject;
  counter: bigint;
}

/**
 * The KMS v2 provider as the apiserver builds it (seed or DEK mode, the plugin's status key ID,
 * DEK/seed reuse and rotation, the EncryptedObject format). createTransformer builds this for
 * `kms` providers with `apiVersion: v2`; use it directly with your own service. Fails with
 * `ERR_KMS` (the plugin) or `ERR_KMS_DATA` (a malformed or invalid EncryptedObject).
 */
export function createKmsV2Transformer(p: KmsV2Params): Transformer {
  const { service } = p;
  const backend = resolveBackend(p.backend);
  const random = p.random ?? backend.randomBytes;
  const currentType = (p.mode ?? 'seed') === 'seed' ? HKDF_SHA256_XNONCE_AES_GCM_SEED : AES_GCM_KEY;
  const cache = new LruCache<Uint8Array>(CACHE_SIZE);
  let state: WriteState | undefined;

  async function statusKeyID(): Promise<string> {
    try {
      return (await service.status()).keyID;
    } catch (e) {
      throw wrappedPluginError('failed to get the KMS v2 plugin status', e);
    }
  }

  async function keyMaterialFor(o: EncryptedObject): Promise<Uint8Array> {
    const cacheKey = cacheKeyOf(o);
    const cached = cache.get(cacheKey);
    if (cached !== undefined) return cached;
    let material: Uint8Array;
    try {
      material = await service.decrypt({ ciphertext: o.encryptedDEKSource, keyID: o.keyID, annotations: o.annotations });
    } catch (e) {
      throw wrappedPluginError('failed to decrypt DEK', e);
    }
    if (o.encryptedDEKSourceType === HKDF_SHA256_XNONCE_AES_GCM_SEED) checkSeed(material);
    else checkAesKey(material);
    cache.set(cacheKey, material);
    return material;
  }

  async function writeState(): Promise<WriteState> {
    const keyID = await statusKeyID();
    if (state !== undefined && state.object.keyID === keyID) return state;
    const keyMaterial = readRandom(random, DEK_SOURCE_SIZE, (reason) => new K8sEncError('ERR_WRITE', reason));
    let resp: Awaited<ReturnType<KmsV2Service['encrypt']>>;
    try {
      resp = await service.encrypt(keyMaterial);
    } catch (e) {
      throw wrappedPluginError('failed to encrypt DEK', e);
    }
    const object: EncryptedObject = {
      encryptedData: Uint8Array.of(0), // replaced by each write; non-empty to pass validation
      keyID: resp.keyID,
      encryptedDEKSource: resp.ciphertext,
      annotations: Object.assign(Object.create(null) as Record<string, Uint8Array>, resp.annotations),
      encryptedDEKSourceType: currentType,
    };
    validateEncryptedObject(object);
    // Upstream keeps writing with the old state (until it expires) rather than use a key ID
    // that disagrees with the status; an offline writer has no old state worth keeping.
    if (resp.keyID !== keyID) {
      throw new K8sEncError(
        'ERR_KMS',
        `failed to rotate DEK: the KMS plugin encrypted with key ID ${goQuote(resp.keyID)} but its status reports ${goQuote(keyID)}`,
      );
    }
    state = { keyMaterial, object, counter: p.nonceCounterStart ?? NONCE_COUNTER_START };
    cache.set(cacheKeyOf(object), keyMaterial);
    return state;
  }

  function dekSeal(s: WriteState, data: Uint8Array, ad: Uint8Array): Uint8Array {
    const nonce = new Uint8Array(12);
    nonce.set(
      readRandom(random, NONCE_RANDOM_SIZE, (reason) => new K8sEncError('ERR_WRITE', `failed to write nonce for AES-GCM: ${reason}`)),
    );
    if (s.counter >= NONCE_COUNTER_MAX) {
      // Upstream calls klog.Fatal here and the apiserver exits.
      throw new K8sEncError('ERR_UPSTREAM_PANIC', 'the KMS v2 DEK nonce counter is exhausted; rotate the KMS key', {
        upstreamPanic: 'aes-gcm detected nonce overflow - cryptographic wear out has occurred',
      });
    }
    s.counter += 1n;
    new DataView(nonce.buffer).setBigUint64(NONCE_RANDOM_SIZE, s.counter, true);
    return gcmSealWithNonce(backend, s.keyMaterial, nonce, data, ad);
  }

  return {
    async fromStorage(stored: Uint8Array, authenticatedData: Uint8Array | string): Promise<ReadResult> {
      const ad = toBytes(authenticatedData);
      const o = decodeEncryptedObject(stored);
      validateEncryptedObject(o);
      const currentKeyID = await statusKeyID();
      const material = await keyMaterialFor(o);
      const data =
        o.encryptedDEKSourceType === HKDF_SHA256_XNONCE_AES_GCM_SEED
          ? seedOpen(backend, material, o.encryptedData, ad)
          : gcmOpen(backend, material, o.encryptedData, ad);
      return { data, stale: o.keyID !== currentKeyID || o.encryptedDEKSourceType !== currentType };
    },

    async toStorage(data: Uint8Array, authenticatedData: Uint8Array | string): Promise<Uint8Array> {
      const ad = toBytes(authenticatedData);
      const s = await writeState();
      const encryptedData =
        currentType === HKDF_SHA256_XNONCE_AES_GCM_SEED ? seedSeal(backend, s.keyMaterial, random, data, ad) : dekSeal(s, data, ad);
      const o: EncryptedObject = { ...s.object, encryptedData };
      validateEncryptedObject(o);
      return encodeEncryptedObject(o);
    },
  };
}

function u16Prefixed(b: Uint8Array): Uint8Array[] {
  return [Uint8Array.of(b.length >> 8, b.length & 0xff), b];
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

/**
 * Upstream's generateCacheKey layout: type, source, keyID and the annotations sorted by key, each
 * length-prefixed so that no two objects share a key. Validation keeps every part below 64 KiB.
 */
function cacheKeyOf(o: EncryptedObject): string {
  const parts = [u32(o.encryptedDEKSourceType), ...u16Prefixed(o.encryptedDEKSource), ...u16Prefixed(utf8(o.keyID))];
  const keys = Object.keys(o.annotations)
    .map((k) => ({ k, bytes: utf8(k) }))
    .sort((a, b) => compareBytes(a.bytes, b.bytes));
  if (keys.length > 0) {
    parts.push(u32(keys.length));
    for (const { k, bytes } of keys) parts.push(...u16Prefixed(bytes), ...u16Prefixed(o.annotations[k]!));
  }
  return toBase64(concatBytes(...parts));
}
