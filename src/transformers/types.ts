import type { K8sEncError } from '../errors.ts';

/** The apiserver's value.Transformer, async because KMS plugins are remote calls. */
export interface ReadResult {
  data: Uint8Array;
  /** "Rewrite even if unchanged": written by another provider or key than the current one (docs/FORMATS.md#stale). */
  stale: boolean;
}

/** One value of a batch read: the stored bytes and their etcd key. */
export interface ReadItem {
  stored: Uint8Array;
  authenticatedData: Uint8Array | string;
}

/**
 * kube-apiserver's value.Transformer for one resource (from {@link createTransformer}). The
 * authenticated data is the value's full etcd key (`/registry/secrets/default/mysecret`).
 */
export interface Transformer {
  /**
   * Decrypts a stored value. Rejects with a K8sEncError carrying the apiserver's message and
   * code (`ERR_NO_MATCHING_KEY`, `ERR_AUTH_FAILED`, `ERR_NO_MATCHING_PREFIX`, …); `stale` is true
   * when another provider or key than the current (first) one wrote it.
   */
  fromStorage(stored: Uint8Array, authenticatedData: Uint8Array | string): Promise<ReadResult>;
  /** Encrypts with the first provider and key, as the apiserver writes. Rejects with `ERR_WRITE`/`ERR_KMS`. */
  toStorage(data: Uint8Array, authenticatedData: Uint8Array | string): Promise<Uint8Array>;
  /**
   * Optional fast path for scans: one outcome per item, in order, identical to calling
   * fromStorage on each (K8sEncErrors are returned, anything else is thrown). Call it through
   * fromStorageMany in batch.ts, which falls back to one call per item.
   */
  fromStorageMany?(items: readonly ReadItem[]): Promise<(ReadResult | K8sEncError)[]>;
}

/** Draws exactly `n` random bytes; injectable so tests can reproduce upstream writes byte for byte. */
export type RandomSource = (n: number) => Uint8Array;

/**
 * Mirrors the KMS v1 plugin gRPC API (k8s.io/kms apis/v1beta1): encrypt and decrypt a DEK.
 */
export interface KmsV1Service {
  encrypt(plain: Uint8Array): Promise<Uint8Array>;
  decrypt(cipher: Uint8Array): Promise<Uint8Array>;
}

/** Mirrors the KMS v2 plugin gRPC API (k8s.io/kms apis/v2). */
export interface KmsV2Service {
  status(): Promise<{ keyID: string }>;
  encrypt(plain: Uint8Array): Promise<{ ciphertext: Uint8Array; keyID: string; annotations?: Record<string, Uint8Array> }>;
  decrypt(req: { ciphertext: Uint8Array; keyID: string; annotations?: Record<string, Uint8Array> }): Promise<Uint8Array>;
}

/**
 * A KMS provider as the EncryptionConfiguration names it: what `TransformerOptions.kms` is given
 * to find its plugin.
 */
export interface KmsProviderInfo {
  name: string;
  apiVersion: 'v1' | 'v2';
  endpoint: string;
}

/**
 * A KMS plugin of either API version, as `TransformerOptions.kms` returns it.
 */
export type KmsService = KmsV1Service | KmsV2Service;

/** Options shared by every way of building a transformer (public API: createTransformer). */
export interface TransformerOptions {
  /**
   * Crypto backend, by name or as an object: OpenSSL via node:crypto on Node (default there), pure
   * @noble/ciphers elsewhere. Also taken by createKmsV1Transformer/createKmsV2Transformer.
   */
  backend?: import('../crypto/backend.ts').BackendName | import('../crypto/backend.ts').CryptoBackend;
  /** aescbc/aesgcm/secretbox draw exactly one value per write: the IV/nonce. */
  random?: RandomSource;
  /** Connects a configured KMS provider to a plugin implementation. */
  kms?: (provider: KmsProviderInfo) => KmsService;
  /** What KMS v2 writes: 'seed' (Kubernetes >= 1.29, default) or 'dek' (1.25-1.28). */
  kmsV2Mode?: 'seed' | 'dek';
}
