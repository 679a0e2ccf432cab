/**
 * From a resource's providers (as the configuration lists them) to the transformer chain that
 * reads and writes its values. Here, above transformers/, so that layer never imports config/.
 */
import { K8sEncError } from '../errors.ts';
import { utf8 } from '../bytes.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { resolveBackend } from '../crypto/select.ts';
import { createAescbcTransformer } from '../transformers/aescbc.ts';
import { createAesgcmTransformer } from '../transformers/aesgcm.ts';
import { identityTransformer } from '../transformers/identity.ts';
import { createKmsV1Transformer } from '../transformers/kms-v1.ts';
import { createKmsV2Transformer } from '../transformers/kms-v2.ts';
import { createPrefixTransformer, type PrefixEntry } from '../transformers/prefix.ts';
import { createSecretboxTransformer } from '../transformers/secretbox.ts';
import type { KmsV1Service, KmsV2Service, RandomSource, Transformer, TransformerOptions } from '../transformers/types.ts';
import type { KeyConfig, ProviderConfig } from './types.ts';

const NO_MATCHING_PREFIX = 'no matching prefix found';
const NO_MATCHING_AES_KEY = 'no matching key was found for the provided AES transformer';
const NO_MATCHING_SECRETBOX_KEY = 'no matching key was found for the provided Secretbox transformer';

type KeyedFactory = (key: Uint8Array, backend: CryptoBackend, random: RandomSource) => Transformer;

/** A resource's chain: providers in config order, each behind its `k8s:enc:…` prefix (docs/FORMATS.md#prefix-chains). */
export function buildProviderChain(providers: ProviderConfig[], options: TransformerOptions = {}): Transformer {
  const backend = resolveBackend(options.backend);
  const random = options.random ?? backend.randomBytes;
  const entries = providers.map((p): PrefixEntry => {
    switch (p.type) {
      case 'identity':
        return { prefix: new Uint8Array(0), transformer: identityTransformer, provider: 'identity' };
      case 'aescbc':
        return keyedEntry(p.type, p.keys, createAescbcTransformer, NO_MATCHING_AES_KEY, backend, random);
      case 'aesgcm':
        return keyedEntry(p.type, p.keys, createAesgcmTransformer, NO_MATCHING_AES_KEY, backend, random);
      case 'secretbox':
        return keyedEntry(p.type, p.keys, createSecretboxTransformer, NO_MATCHING_SECRETBOX_KEY, backend, random);
      case 'kms':
        return kmsEntry(p, options, backend, random);
      default:
        throw new K8sEncError('ERR_CONFIG_INVALID', `unknown provider type ${JSON.stringify((p as { type: unknown }).type)}`);
    }
  });
  return createPrefixTransformer(entries, NO_MATCHING_PREFIX);
}

/** `k8s:enc:<type>:v1:` over an inner chain of `<keyName>:` prefixes, one per key in order. */
function keyedEntry(
  type: 'aescbc' | 'aesgcm' | 'secretbox',
  keys: KeyConfig[],
  create: KeyedFactory,
  fallback: string,
  backend: CryptoBackend,
  random: RandomSource,
): PrefixEntry {
  const inner = keys.map(
    (k): PrefixEntry => ({ prefix: utf8(`${k.name}:`), transformer: create(k.secret, backend, random), provider: type }),
  );
  return {
    prefix: utf8(`k8s:enc:${type}:v1:`),
    transformer: createPrefixTransformer(inner, fallback, 'ERR_NO_MATCHING_KEY'),
    provider: type,
  };
}

function kmsEntry(
  p: Extract<ProviderConfig, { type: 'kms' }>,
  options: TransformerOptions,
  backend: CryptoBackend,
  random: RandomSource,
): PrefixEntry {
  const provider = `kms:${p.apiVersion}:${p.name}`;
  const prefix = utf8(`k8s:enc:${provider}:`);
  const service = options.kms?.({ name: p.name, apiVersion: p.apiVersion, endpoint: p.endpoint });
  if (service === undefined) return { prefix, transformer: unconnectedKms(p.name), provider };
  const { name } = p;
  const transformer =
    p.apiVersion === 'v1'
      ? createKmsV1Transformer({ name, service: service as KmsV1Service, cacheSize: p.cachesize ?? 1000, backend, random })
      : createKmsV2Transformer({ name, service: service as KmsV2Service, mode: options.kmsV2Mode ?? 'seed', backend, random });
  return { prefix, transformer, provider };
}

/** Offline use without a plugin: values of other providers still read, this one's fail clearly. */
function unconnectedKms(name: string): Transformer {
  const fail = async (): Promise<never> => {
    throw new K8sEncError('ERR_KMS', `no KMS plugin is connected for provider ${name}`);
  };
  return { fromStorage: fail, toStorage: fail };
}
