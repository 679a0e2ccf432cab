/**
 * Which providers serve a resource (apiserver `encryptionconfig/config.go`): entries are walked in
 * order, exact resources repeated in later entries concatenate, anything under an earlier wildcard
 * is an error, and lookup tries `{group, resource}`, `{group, *}`, `{*, *}` (docs/FORMATS.md#resources-lookup-and-masking).
 */
import { K8sEncError } from '../errors.ts';
import { goQuote } from '../go-quote.ts';
import type { EncryptionConfig, ProviderConfig } from './types.ts';

export interface GroupResource {
  group: string;
  resource: string;
}

/** schema.ParseGroupResource: split at the first `.`, so `pandas.awesome.bears.example` is `pandas` in `awesome.bears.example`. */
export function parseGroupResource(s: string): GroupResource {
  const dot = s.indexOf('.');
  return dot < 0 ? { group: '', resource: s } : { group: s.slice(dot + 1), resource: s.slice(0, dot) };
}

/** How the apiserver names a rule in errors: `*.` for the core-group wildcard, else `resource[.group]`. */
export function groupResourceString(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

const grKey = (gr: GroupResource): string => `${gr.resource}\u0000${gr.group}`;

const chainsCache = new WeakMap<EncryptionConfig, Map<string, ProviderConfig[]>>();

/**
 * The per-resource provider lists, built once per config. Throws ERR_CONFIG_INVALID with the
 * apiserver's `error while building transformers: resource %q is masked by earlier rule %q`.
 */
export function resourceChains(config: EncryptionConfig): Map<string, ProviderConfig[]> {
  const cached = chainsCache.get(config);
  if (cached !== undefined) return cached;
  const chains = new Map<string, ProviderConfig[]>();
  for (const entry of config.resources) {
    for (const resource of entry.resources) {
      const gr = parseGroupResource(resource);
      for (const rule of [
        { group: gr.group, resource: '*' },
        { group: '*', resource: '*' },
      ]) {
        if (chains.has(grKey(rule))) {
          const message = `error while building transformers: resource ${goQuote(groupResourceString(gr))} is masked by earlier rule ${goQuote(groupResourceString(rule))}`;
          throw new K8sEncError('ERR_CONFIG_INVALID', message);
        }
      }
      chains.set(grKey(gr), [...(chains.get(grKey(gr)) ?? []), ...entry.providers]);
    }
  }
  chainsCache.set(config, chains);
  return chains;
}

/**
 * The providers for `resource` (spelled `secrets`, `deployments.apps`, `pandas.awesome.bears.example`),
 * or null when no rule covers it and the apiserver uses the bare identity transformer.
 */
export function providersForResource(config: EncryptionConfig, resource: string): ProviderConfig[] | null {
  const chains = resourceChains(config);
  const gr = parseGroupResource(resource);
  for (const candidate of [gr, { group: gr.group, resource: '*' }, { group: '*', resource: '*' }]) {
    const providers = chains.get(grKey(candidate));
    if (providers !== undefined) return providers;
  }
  return null;
}
