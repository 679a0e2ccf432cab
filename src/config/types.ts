/** A parsed, validated EncryptionConfiguration (docs/FORMATS.md#encryptionconfiguration), with key secrets already decoded. */
export interface KeyConfig {
  name: string;
  /** The decoded key bytes. Never print them. */
  secret: Uint8Array;
}

/**
 * One provider of a rule, with its keys decoded (aescbc/aesgcm/secretbox) or its plugin settings (kms).
 */
export type ProviderConfig =
  | { type: 'identity' }
  | { type: 'aescbc'; keys: KeyConfig[] }
  | { type: 'aesgcm'; keys: KeyConfig[] }
  | { type: 'secretbox'; keys: KeyConfig[] }
  | {
      type: 'kms';
      apiVersion: 'v1' | 'v2';
      name: string;
      endpoint: string;
      /** KMS v1 DEK cache size (default 1000; negative disables); absent for v2. */
      cachesize?: number;
      /** Plugin call timeout in milliseconds (default 3000). */
      timeoutMs: number;
    };

/**
 * One `resources` rule: the resources it covers and their providers, first one writes.
 */
export interface ResourceConfig {
  resources: string[];
  providers: ProviderConfig[];
}

/**
 * A parsed, validated EncryptionConfiguration file, as {@link parseEncryptionConfig} returns it.
 */
export interface EncryptionConfig {
  /** `EncryptionConfiguration`, or the 1.7/1.8 legacy `EncryptionConfig` (with apiVersion v1). */
  kind: 'EncryptionConfiguration' | 'EncryptionConfig';
  apiVersion: string;
  resources: ResourceConfig[];
}
