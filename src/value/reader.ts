/**
 * Reads etcd values the way the apiserver would (chain for its resource, AD = its key), then
 * decodes them, and says which provider and key wrote each: one notion of "this value is fine" for
 * the CLI's get/verify/decrypt and for embedders (a web page, a script) alike.
 */
import { fromUtf8 } from '../bytes.ts';
import { createTransformer } from '../config/create-transformer.ts';
import { providersForResource } from '../config/resources.ts';
import type { EncryptionConfig, ProviderConfig } from '../config/types.ts';
import { keyResource } from '../etcd/keys.ts';
import { K8sEncError, type K8sEncErrorCode } from '../errors.ts';
import { decodeObject } from '../storage/decode.ts';
import { decodesCleanly } from '../storage/decodes.ts';
import type { KubeObject } from '../storage/types.ts';
import { fromStorageMany, type ReadOutcome } from '../transformers/batch.ts';
import type { ReadItem, Transformer, TransformerOptions } from '../transformers/types.ts';
import { parseValuePrefix, type ValuePrefix } from './prefix.ts';

/**
 * What a {@link ValueReader} found for one value: whether it reads (`ok`), is plaintext or fails,
 * which provider and key wrote it, whether that key is stale, the error and its code, and the
 * plaintext and decoded object.
 */
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

/** The configured key names per provider type, worked out once per type (scans ask per value). */
function namesFor(providers: ProviderConfig[] | null): (provider: string) => string[] {
  const known = new Map<string, string[]>();
  return (provider) => {
    let names = known.get(provider);
    if (names === undefined) {
      names = (providers ?? []).flatMap((p) => {
        if (p.type === 'kms') return provider === `kms:${p.apiVersion}` ? [p.name] : [];
        return p.type === provider && 'keys' in p ? p.keys.map((k) => k.name) : [];
      });
      known.set(provider, names);
    }
    return names;
  };
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

function writerOf(prefix: ValuePrefix): string | null {
  if (prefix.kind === 'keyed') return prefix.keyName === null ? prefix.provider : `${prefix.provider} ${prefix.keyName}`;
  if (prefix.kind === 'kms') return prefix.name === null ? `kms ${prefix.apiVersion}` : `kms ${prefix.apiVersion} ${prefix.name}`;
  return null;
}

function friendlyReadError(prefix: ValuePrefix, e: K8sEncError, resource: string | null, chain: Chain): string {
  const writer = writerOf(prefix);
  if (e.code === 'ERR_IDENTITY_ENCRYPTED' && !chain.covered && writer !== null) {
    const what = resource === null ? 'this key (not an apiserver key shape)' : resource;
    return `the configuration has no rule for ${what}, so the apiserver would read it as plaintext, but this value is encrypted (written with ${writer}): add ${resource ?? 'the resource'} to a rule with that provider`;
  }
  if (prefix.kind !== 'keyed' || !WRONG_KEY_CODES.has(e.code)) return e.message;
  const configured = chain.names(prefix.provider).length > 0;
  if (!configured)
    return `no ${prefix.provider} provider is configured for ${resource ?? 'this key'}, and this value was written with ${writer}`;
  // aesgcm binds the value to its etcd key: a copied value fails exactly like a wrong key.
  const moved = prefix.provider === 'aesgcm' ? ', or it was copied from another etcd key' : '';
  return `no configured key decrypts this value (written with ${writer})${moved}`;
}

function asK8sEncError(e: unknown): K8sEncError {
  if (e instanceof K8sEncError) return e;
  return new K8sEncError('ERR_INPUT', e instanceof Error ? e.message : String(e), { cause: e });
}

/** One value to read: its etcd key and stored bytes, and the resource if the caller knows it. */
export interface ValueToRead {
  key: Uint8Array;
  value: Uint8Array;
  resource?: string;
}

/**
 * Reads and decodes stored values as the apiserver would; made by {@link createValueReader}.
 * A value that fails to read or decode comes back as a report with `status: 'error'` and its `code`.
 */
export interface ValueReader {
  /**
   * `resource` overrides the one parsed from the key (for `get`, which knows what it asked for);
   * `decode: false` stops after decryption (for raw plaintext output).
   */
  read(key: Uint8Array, value: Uint8Array, resource?: string, opts?: { decode?: boolean }): Promise<ValueReport>;
  /** Reports identical to `read` on each value, in order, decrypting each resource's values in one batch. */
  readMany(values: readonly ValueToRead[], opts?: { decode?: boolean }): Promise<ValueReport[]>;
}

/** `covered`: the configuration has a rule for the resource (else the apiserver reads it as plaintext). */
type Chain = { transformer: Transformer; names: (provider: string) => string[]; covered: boolean };

/** `options` connects KMS providers to their plugins (the CLI's cli/kms.ts); one object for the whole run. */
export function createValueReader(config: EncryptionConfig | null, etcdPrefix: string, options?: TransformerOptions): ValueReader {
  const chains = new Map<string, Chain>();
  function chainFor(resource: string | null): Chain {
    const id = resource ?? '';
    let c = chains.get(id);
    if (!c) {
      // A key we cannot place gets what unconfigured resources get: the bare identity.
      const cfg = resource === null ? null : config;
      const providers = cfg === null ? null : providersForResource(cfg, id);
      c = { transformer: createTransformer(cfg, id, options), names: namesFor(providers), covered: providers !== null };
      chains.set(id, c);
    }
    return c;
  }

  async function readMany(values: readonly ValueToRead[], opts: { decode?: boolean } = {}): Promise<ValueReport[]> {
    const placed = values.map((v) => {
      const key = fromUtf8(v.key);
      const resource = v.resource ?? keyResource(key, etcdPrefix);
      const chain = chainFor(resource);
      return { chain, prefix: parseValuePrefix(v.value, chain.names), key, resource };
    });
    const byChain = new Map<Chain, number[]>();
    placed.forEach((p, i) => {
      const list = byChain.get(p.chain);
      if (list) list.push(i);
      else byChain.set(p.chain, [i]);
    });
    const outcomes = new Array<ReadOutcome>(values.length);
    for (const [chain, indices] of byChain) {
      const items = indices.map((i) => ({ stored: values[i]!.value, authenticatedData: values[i]!.key }));
      const got = await readBatch(chain.transformer, items);
      indices.forEach((i, k) => (outcomes[i] = got[k]!));
    }
    return placed.map((p, i) => report(p.key, p.resource, p.prefix, outcomes[i]!, opts, p.chain));
  }

  return {
    read: async (key, value, resource, opts) => (await readMany([{ key, value, ...(resource !== undefined && { resource }) }], opts))[0]!,
    readMany,
  };
}

/** Other exceptions (a KMS plugin's transport, say) become that value's error, as in a single read. */
async function readBatch(transformer: Transformer, items: ReadItem[]): Promise<ReadOutcome[]> {
  try {
    return await fromStorageMany(transformer, items);
  } catch {
    const out: ReadOutcome[] = [];
    for (const it of items) out.push(await transformer.fromStorage(it.stored, it.authenticatedData).catch(asK8sEncError));
    return out;
  }
}

function report(
  key: string,
  resource: string | null,
  prefix: ValuePrefix,
  outcome: ReadOutcome,
  opts: { decode?: boolean },
  chain: Chain,
): ValueReport {
  // Built field by field (no spreads): scans make one per value, and spreads were ~2 µs each.
  const { provider, keyName } = provenance(prefix);
  if (outcome instanceof K8sEncError) {
    const error = friendlyReadError(prefix, outcome, resource, chain);
    const failed: ValueReport = { key, resource, provider, keyName, status: 'error', stale: null, error };
    if (error !== outcome.message) failed.upstreamError = outcome.message;
    failed.code = outcome.code;
    return failed;
  }
  const status = prefix.kind === 'plaintext' ? 'plaintext' : 'ok';
  const decrypted: ValueReport = { key, resource, provider, keyName, status, stale: outcome.stale, error: null, data: outcome.data };
  return opts.decode === false ? decrypted : decodeReport(decrypted);
}

/**
 * decodeReport's verdict without the object, for `verify`: the same status and error, building
 * the object only when the value may not decode (decodesCleanly says no), to word the error.
 */
export function checkReport(r: ValueReport): ValueReport {
  if (r.status === 'error' || r.data === undefined || r.object !== undefined) return r;
  if (decodesCleanly(r.data)) return r;
  const { object: _object, ...checked } = decodeReport(r);
  return checked;
}

/** A failed report as the error a one-value read throws: our words, then the apiserver's own text when they differ. */
export function reportError(r: ValueReport): K8sEncError {
  const upstream = r.upstreamError === undefined ? '' : ` (apiserver: ${r.upstreamError})`;
  return new K8sEncError(r.code ?? 'ERR_INPUT', (r.error ?? '') + upstream, { etcdKey: r.key });
}

/**
 * Adds the decoded object to a report of a successful read (or turns it into a decode error).
 * Scans read a chunk with `decode: false` and decode each value just before printing it, so each
 * object dies young instead of a chunk of them outliving several garbage collections.
 */
export function decodeReport(r: ValueReport): ValueReport {
  if (r.status === 'error' || r.data === undefined || r.object !== undefined) return r;
  try {
    return { ...r, object: decodeObject(r.data) };
  } catch (err) {
    const e = asK8sEncError(err);
    // aescbc has no integrity check: about 1 wrong key in 256 passes the padding and yields garbage.
    const hint =
      r.provider === 'aescbc' ? ' — the aescbc key is most likely wrong (a wrong key passes the padding check about 1 time in 256)' : '';
    return { ...r, status: 'error', error: `decrypted, but the object does not decode: ${e.message}${hint}`, code: e.code };
  }
}
