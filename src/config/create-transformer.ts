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

export function createTransformer(
  config: EncryptionConfig | null,
  resource: string,
  options?: TransformerOptions,
): Transformer {
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
