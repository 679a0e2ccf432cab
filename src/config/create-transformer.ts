/**
 * The public entry point: the transformer the apiserver would use for one resource under a
 * configuration, or the bare identity transformer when there is no configuration or no rule.
 */
import { identityTransformer } from '../transformers/identity.ts';
import { buildProviderChain } from './provider-chain.ts';
import type { Transformer, TransformerOptions } from '../transformers/types.ts';
import { providersForResource } from './resources.ts';
import type { EncryptionConfig, ProviderConfig } from './types.ts';

const NO_OPTIONS: TransformerOptions = {};

// One chain per (providers, options), like the apiserver's one per resource: KMS v1 DEK caches and
// KMS v2 write state live inside it, so repeated calls must not start them afresh.
const chains = new WeakMap<ProviderConfig[], WeakMap<TransformerOptions, Transformer>>();

/**
 * The transformer kube-apiserver would use for `resource` under `config`: its provider chain
 * (first provider writes; every provider and key is tried on read, by prefix), or the bare
 * identity transformer when there is no configuration or no rule for the resource. The same
 * `(config, resource, options)` gives the same instance, so KMS DEK caches are shared.
 *
 * Reads (`fromStorage`) fail with a K8sEncError whose message is the apiserver's: `ERR_NO_MATCHING_KEY`,
 * `ERR_AUTH_FAILED`, `ERR_PADDING`, `ERR_NO_MATCHING_PREFIX`, `ERR_MULTIPLE` (several providers'
 * errors), `ERR_KMS`/`ERR_KMS_DATA`, `ERR_UPSTREAM_PANIC`; `stale` says the value was written by
 * another provider or key than the current one. The authenticated data is the full etcd key.
 *
 * @param resource `secrets`, `configmaps`, `deployments.apps`, … (as the configuration names it).
 * @param options backend, injected randomness, KMS plugin connections ({@link TransformerOptions}).
 * @example
 * ```ts
 * const secrets = createTransformer(parseEncryptionConfig(yamlText), 'secrets');
 * const { data, stale } = await secrets.fromStorage(value, '/registry/secrets/default/mysecret');
 * const stored = await secrets.toStorage(data, '/registry/secrets/default/mysecret');
 * ```
 */
export function createTransformer(config: EncryptionConfig | null, resource: string, options?: TransformerOptions): Transformer {
  if (config === null) return identityTransformer;
  const providers = providersForResource(config, resource);
  if (providers === null) return identityTransformer;
  const key = options ?? NO_OPTIONS;
  let byOptions = chains.get(providers);
  if (byOptions === undefined) chains.set(providers, (byOptions = new WeakMap()));
  let chain = byOptions.get(key);
  if (chain === undefined) byOptions.set(key, (chain = buildProviderChain(providers, options)));
  return chain;
}
