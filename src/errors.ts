/**
 * The one error class of k8s-enc. `message` is exactly the apiserver's text where it has one, so
 * callers and tests can compare it with upstream; where-it-happened context (etcd key, provider,
 * snapshot page) lives in separate fields so it never changes that text.
 */
export type K8sEncErrorCode =
  // transformer reads (message = upstream text)
  | 'ERR_NO_MATCHING_PREFIX' // no matching prefix found / no supported transformer
  | 'ERR_NO_MATCHING_KEY' // no matching key was found for the provided AES/Secretbox transformer
  | 'ERR_IDENTITY_ENCRYPTED' // identity transformer tried to read encrypted data
  | 'ERR_DATA_TOO_SHORT' // the stored data was shorter than the required size
  | 'ERR_DATA_BLOCK_SIZE' // the stored data is not a multiple of the block size
  | 'ERR_PADDING' // invalid PKCS7 data / invalid padding on input
  | 'ERR_AUTH_FAILED' // cipher: message authentication failed / secretbox open failure
  | 'ERR_INVALID_KEY' // crypto/aes: invalid key size, secretbox key size, KMS key material
  | 'ERR_UPSTREAM_PANIC' // inputs on which the apiserver panics (docs/FORMATS.md#upstream-panics)
  | 'ERR_KMS' // errors from a KMS plugin or the envelope around it
  | 'ERR_KMS_DATA' // malformed KMS v1/v2 stored data (length prefix, EncryptedObject, validation)
  | 'ERR_MULTIPLE' // aggregate of several provider errors: "[a, b]"
  | 'ERR_WRITE' // a write failed (random source, KMS encrypt, ...)
  // configuration
  | 'ERR_CONFIG_PARSE' // the file could not be decoded
  | 'ERR_CONFIG_INVALID' // the file decoded but failed validation or chain building
  // storage envelope and objects
  | 'ERR_ENVELOPE' // not `k8s\x00` + runtime.Unknown, or not JSON
  | 'ERR_PROTOBUF' // malformed protobuf inside the envelope
  | 'ERR_OBJECT' // an object that cannot be encoded (wrong shape, unsupported kind)
  // etcd and snapshots
  | 'ERR_SNAPSHOT_HASH' // sha256 trailer mismatch
  | 'ERR_BBOLT_CORRUPT' // bad magic/checksum, page out of range, loops, bad element
  | 'ERR_ETCD_CORRUPT' // key bucket entries of the wrong shape, undecodable mvccpb.KeyValue
  | 'ERR_ETCD_COMPACTED' // required revision has been compacted
  | 'ERR_ETCD_FUTURE_REVISION' // required revision is a future revision
  | 'ERR_ETCD_UNAVAILABLE' // a live etcd endpoint failed
  // command line and I/O
  | 'ERR_USAGE'
  | 'ERR_IO'
  | 'ERR_INPUT' // an input value that could not be parsed (hex/base64/etcdctl text)
  // runtime
  | 'ERR_NODE_ONLY'; // a Node-only feature (the node crypto backend, files, etcd, KMS) used outside Node.js

/** What a K8sEncError may carry besides its code and message: where it happened, and why. */
export type K8sEncErrorContext = Partial<Pick<K8sEncError, 'etcdKey' | 'provider' | 'page' | 'file' | 'errors' | 'upstreamPanic'>> & {
  cause?: unknown;
};

/**
 * Every failure of k8s-enc. Branch on `code` (stable, see {@link K8sEncErrorCode}); `message` is
 * the apiserver's own text where it has one; `etcdKey`, `provider`, `page` and `file` say where.
 *
 * @example
 * ```ts
 * try {
 *   await transformer.fromStorage(value, key);
 * } catch (e) {
 *   if (isK8sEncError(e) && e.code === 'ERR_NO_MATCHING_KEY') console.error(`wrong key for ${e.etcdKey}`);
 *   else throw e;
 * }
 * ```
 */
export class K8sEncError extends Error {
  override readonly name = 'K8sEncError';
  readonly code: K8sEncErrorCode;
  /** The etcd key (= authenticated data) of the value being read or written. */
  etcdKey?: string;
  /** The provider that produced the error, e.g. `aescbc`, `kms:v2:name`. */
  provider?: string;
  /** The bbolt page number involved, for snapshot errors. */
  page?: number;
  /** The file involved (config, snapshot). */
  file?: string;
  /** For ERR_MULTIPLE: the flattened, de-duplicated errors in order. */
  errors?: K8sEncError[];
  /** For ERR_UPSTREAM_PANIC: what the apiserver panics with on the same input. */
  upstreamPanic?: string;

  constructor(code: K8sEncErrorCode, message: string, context: K8sEncErrorContext = {}) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.code = code;
    if (context.errors !== undefined) this.errors = context.errors;
    this.with(context);
  }

  /** Attach context without changing the upstream message; returns `this` for `throw e.with(...)`. */
  with(context: Omit<K8sEncErrorContext, 'cause' | 'errors'>): this {
    if (context.etcdKey !== undefined && this.etcdKey === undefined) this.etcdKey = context.etcdKey;
    if (context.provider !== undefined && this.provider === undefined) this.provider = context.provider;
    if (context.page !== undefined && this.page === undefined) this.page = context.page;
    if (context.file !== undefined && this.file === undefined) this.file = context.file;
    if (context.upstreamPanic !== undefined) this.upstreamPanic = context.upstreamPanic;
    return this;
  }

  /** The message with its context, for people: `<message> (etcd key "...", provider aescbc)`. */
  describe(): string {
    const where: string[] = [];
    if (this.etcdKey !== undefined) where.push(`etcd key ${JSON.stringify(this.etcdKey)}`);
    if (this.provider !== undefined) where.push(`provider ${this.provider}`);
    if (this.page !== undefined) where.push(`page ${this.page}`);
    if (this.file !== undefined) where.push(`file ${JSON.stringify(this.file)}`);
    return where.length === 0 ? this.message : `${this.message} (${where.join(', ')})`;
  }
}

/**
 * A K8sEncError as it crosses threads (a structured clone keeps no class): what it says and where.
 * The scan workers and the shares of pass 1 send errors this way.
 */
export interface ClonedK8sEncError {
  code: K8sEncErrorCode;
  message: string;
  page?: number;
  etcdKey?: string;
}

export function toClonedError(e: K8sEncError): ClonedK8sEncError {
  return {
    code: e.code,
    message: e.message,
    ...(e.page !== undefined && { page: e.page }),
    ...(e.etcdKey !== undefined && { etcdKey: e.etcdKey }),
  };
}

export function fromClonedError(e: ClonedK8sEncError): K8sEncError {
  return new K8sEncError(e.code, e.message, {
    ...(e.page !== undefined && { page: e.page }),
    ...(e.etcdKey !== undefined && { etcdKey: e.etcdKey }),
  });
}

/** `e instanceof K8sEncError`, as a type guard for `catch (e: unknown)`. */
export function isK8sEncError(e: unknown): e is K8sEncError {
  return e instanceof K8sEncError;
}
