/**
 * Reads one etcd value the way the apiserver would (chain for its resource, AD = its key), then
 * decodes it, and says which provider and key it was written with, so `get` and `verify` share one
 * notion of "this value is fine".
 */
import { fromUtf8 } from '../bytes.ts';
import { createTransformer } from '../config/create-transformer.ts';
import { providersForResource } from '../config/resources.ts';
import type { EncryptionConfig, ProviderConfig } from '../config/types.ts';
import { parseEtcdKey } from '../etcd/keys.ts';
import { K8sEncError, type K8sEncErrorCode } from '../errors.ts';
import { decodeObject } from '../storage/decode.ts';
import type { KubeObject } from '../storage/types.ts';
import type { Transformer, TransformerOptions } from '../transformers/types.ts';
import { parseValuePrefix, type ValuePrefix } from './value-prefix.ts';

export interface ValueReport {
  key: string;
  resource: string | null;
  status: 'ok' | 'plaintext' | 'error';
  provider: string | null;
  keyName: string | null;
  stale: boolean | null;
  error: string | null;
  /** The apiserver's own text when `error` was rephrased for people. */
  upstreamError?: string;
  code?: K8sEncErrorCode;
  /** The plaintext, when the read succeeded. */
  data?: Uint8Array;
  object?: KubeObject;
}

// Read failures that mean "none of the configured keys is the one that wrote this", as opposed to
// a value whose shape is broken whatever the key.
const WRONG_KEY_CODES: ReadonlySet<K8sEncErrorCode> = new Set([
  'ERR_PADDING',
  'ERR_NO_MATCHING_KEY',
  'ERR_NO_MATCHING_PREFIX',
  'ERR_AUTH_FAILED',
  'ERR_MULTIPLE',
]);

function namesFor(providers: ProviderConfig[] | null): (provider: string) => string[] {
  return (provider) =>
    (providers ?? []).flatMap((p) => {
      if (p.type === 'kms') return provider === `kms:${p.apiVersion}` ? [p.name] : [];
      return p.type === provider && 'keys' in p ? p.keys.map((k) => k.name) : [];
    });
}

function provenance(prefix: ValuePrefix): { provider: string | null; keyName: string | null } {
  switch (prefix.kind) {
    case 'plaintext':
      return { provider: 'identity', keyName: null };
    case 'keyed':
      return { provider: prefix.provider, keyName: prefix.keyName };
    case 'kms':
      return { provider: `kms:${prefix.apiVersion}`, keyName: prefix.name };
    case 'unknown':
      return { provider: null, keyName: null };
  }
}

function friendlyReadError(prefix: ValuePrefix, e: K8sEncError): string {
  if (prefix.kind !== 'keyed' || !WRONG_KEY_CODES.has(e.code)) return e.message;
  const writer = prefix.keyName === null ? prefix.provider : `${prefix.provider} ${prefix.keyName}`;
  // aesgcm binds the value to its etcd key: a copied value fails exactly like a wrong key.
  const moved = prefix.provider === 'aesgcm' ? ', or it was copied from another etcd key' : '';
  return `no configured key decrypts this value (written with ${writer})${moved}`;
}

function asK8sEncError(e: unknown): K8sEncError {
  if (e instanceof K8sEncError) return e;
  return new K8sEncError('ERR_INPUT', e instanceof Error ? e.message : String(e), { cause: e });
}

export interface ValueReader {
  /**
   * `resource` overrides the one parsed from the key (for `get`, which knows what it asked for);
   * `decode: false` stops after decryption (for raw plaintext output).
   */
  read(key: Uint8Array, value: Uint8Array, resource?: string, opts?: { decode?: boolean }): Promise<ValueReport>;
}

/** `options` connects KMS providers to their plugins (see kms.ts); one object for the whole run. */
export function createValueReader(
  config: EncryptionConfig | null,
  etcdPrefix: string,
  options?: TransformerOptions,
): ValueReader {
  const chains = new Map<string, { transformer: Transformer; names: (provider: string) => string[] }>();
  function chainFor(resource: string | null) {
    const id = resource ?? '';
    let c = chains.get(id);
    if (!c) {
      // A key we cannot place gets what unconfigured resources get: the bare identity.
      const cfg = resource === null ? null : config;
      const providers = cfg === null ? null : providersForResource(cfg, id);
      c = { transformer: createTransformer(cfg, id, options), names: namesFor(providers) };
      chains.set(id, c);
    }
    return c;
  }

  return {
    async read(keyBytes, value, resourceOverride, opts = {}) {
      const key = fromUtf8(keyBytes);
      const resource = resourceOverride ?? parseEtcdKey(key, etcdPrefix)?.resource ?? null;
      const chain = chainFor(resource);
      const prefix = parseValuePrefix(value, chain.names);
      const base = { key, resource, ...provenance(prefix) };
      let data: Uint8Array;
      let stale: boolean;
      try {
        ({ data, stale } = await chain.transformer.fromStorage(value, keyBytes));
      } catch (err) {
        const e = asK8sEncError(err);
        const error = friendlyReadError(prefix, e);
        return {
          ...base,
          status: 'error',
          stale: null,
          error,
          ...(error === e.message ? {} : { upstreamError: e.message }),
          code: e.code,
        };
      }
      const status = prefix.kind === 'plaintext' ? 'plaintext' : 'ok';
      if (opts.decode === false) return { ...base, status, stale, error: null, data };
      try {
        return { ...base, status, stale, error: null, data, object: decodeObject(data) };
      } catch (err) {
        const e = asK8sEncError(err);
        return { ...base, status: 'error', stale, error: `decrypted, but the object does not decode: ${e.message}`, code: e.code, data };
      }
    },
  };
}
