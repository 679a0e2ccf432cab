// Public API of k8s-enc: named re-exports only.
export { K8sEncError, isK8sEncError } from './errors.ts';
export type { K8sEncErrorCode, K8sEncErrorContext } from './errors.ts';
export type { BackendName, CryptoBackend } from './crypto/backend.ts';
export { getBackend, availableBackends } from './crypto/select.ts';
export type {
  Transformer,
  ReadResult,
  RandomSource,
  KmsV1Service,
  KmsV2Service,
  KmsService,
  KmsProviderInfo,
  TransformerOptions,
} from './transformers/types.ts';
export type { EncryptionConfig, ResourceConfig, ProviderConfig, KeyConfig } from './config/types.ts';
