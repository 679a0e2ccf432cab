// The codec, for browsers and any other runtime: everything but the Node-only etcd readers and
// KMS plugin clients, which index.ts adds on top. Named re-exports only; helpers that exist for
// the tests (availableBackends, fromStorageEach, parseJson) stay out of the public API.

// errors
export { K8sEncError, isK8sEncError } from './errors.ts';
export type { K8sEncErrorCode, K8sEncErrorContext } from './errors.ts';

// crypto backends
export type { BackendName, CryptoBackend } from './crypto/backend.ts';
export { getBackend } from './crypto/select.ts';

// transformers
export type {
  Transformer,
  ReadResult,
  RandomSource,
  KmsV1Service,
  KmsV2Service,
  KmsService,
  KmsProviderInfo,
  TransformerOptions,
  ReadItem,
} from './transformers/types.ts';
export { fromStorageMany } from './transformers/batch.ts';
export type { ReadOutcome } from './transformers/batch.ts';
export { identityTransformer } from './transformers/identity.ts';
export { createPrefixTransformer, aggregateErrors } from './transformers/prefix.ts';
export type { PrefixEntry } from './transformers/prefix.ts';
export { createKmsV1Transformer } from './transformers/kms-v1.ts';
export type { KmsV1Params } from './transformers/kms-v1.ts';
export { createKmsV2Transformer } from './transformers/kms-v2.ts';
export type { KmsV2Params } from './transformers/kms-v2.ts';
export {
  decodeEncryptedObject,
  encodeEncryptedObject,
  validateEncryptedObject,
  AES_GCM_KEY,
  HKDF_SHA256_XNONCE_AES_GCM_SEED,
} from './transformers/kms-v2-object.ts';
export type { EncryptedObject } from './transformers/kms-v2-object.ts';

// EncryptionConfiguration
export type { EncryptionConfig, ResourceConfig, ProviderConfig, KeyConfig } from './config/types.ts';
export { parseEncryptionConfig } from './config/parse.ts';
export { createTransformer } from './config/create-transformer.ts';
export { buildProviderChain } from './config/provider-chain.ts';
export { providersForResource, parseGroupResource } from './config/resources.ts';

// storage envelope and objects
export { decodeObject } from './storage/decode.ts';
export { encodeObject } from './storage/encode.ts';
export { toJson, toYaml, forRestore } from './storage/output.ts';
export { UNDECODED_FIELD } from './storage/types.ts';
export type {
  KubeObject,
  DecodedObject,
  OtherObject,
  ObjectMeta,
  OwnerReference,
  ManagedFieldsEntry,
  Secret,
  ConfigMap,
  Int64,
  Timestamp,
  UndecodedProtobuf,
} from './storage/types.ts';
export { RAW_FIELDS_KEY } from './storage/fields-v1.ts';

// etcd key layout (pure data, no I/O)
export { etcdKeyPrefix, keyResource, parseEtcdKey, resolveResource, normalizeEtcdPrefix } from './etcd/keys.ts';
export type { ParsedEtcdKey, ResolvedResource } from './etcd/keys.ts';

// one stored value: as people paste it, what its prefix says, read and decoded as the apiserver would
export { INPUT_FORMATS, parseValueInput, parseValueInputs } from './value/input.ts';
export type { InputFormat, ValueInput } from './value/input.ts';
export { parseValuePrefix } from './value/prefix.ts';
export type { KeyedProvider, ValuePrefix } from './value/prefix.ts';
export { createValueReader, decodeReport } from './value/reader.ts';
export type { ValueReader, ValueReport, ValueToRead } from './value/reader.ts';
