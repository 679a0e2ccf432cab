/**
 * What `rewrite` does with one value, the same offline and live: read it with the old chain, and
 * rewrite it with the new chain's first provider unless the new chain already reads it as fresh.
 */
import { fromUtf8 } from '../../bytes.ts';
import { createTransformer } from '../../config/create-transformer.ts';
import { providersForResource } from '../../config/resources.ts';
import type { EncryptionConfig, ProviderConfig } from '../../config/types.ts';
import { parseEtcdKey, resolveResource } from '../../etcd/keys.ts';
import { K8sEncError } from '../../errors.ts';
import type { TransformerOptions } from '../../transformers/types.ts';
import { createValueReader, type ValueReader, type ValueReport } from '../../value/reader.ts';
import type { Progress } from '../progress.ts';
import type { RewriteTally } from './summary.ts';

export interface RewriteSetup {
  etcdPrefix: string;
  /** Which resource a key belongs to when it is selected, else null. */
  select(key: string): string | null;
  /** Rewrite every readable value, fresh or not. */
  force: boolean;
  readOld: ValueReader;
  /** null when the write config is the read config: one read then says it all. */
  readNew: ValueReader | null;
  newConfig: EncryptionConfig;
  options: TransformerOptions;
}

/** What both modes of a rewrite run are given: the plan, the counts, the progress line and where problems go. */
export interface RewriteRun {
  setup: RewriteSetup;
  tally: RewriteTally;
  progress: Progress;
  /** A value that cannot be read or rewritten (key and error), reported as it is met. */
  report(key: string, error: string): Promise<void>;
}

export function rewriteSetup(opts: {
  config: EncryptionConfig;
  newConfig: EncryptionConfig | null;
  etcdPrefix: string;
  resources: string[];
  force: boolean;
  options: TransformerOptions;
}): RewriteSetup {
  const newConfig = opts.newConfig ?? opts.config;
  const wanted = new Set(opts.resources.map((r) => resolveResource(r).qualified));
  const covered = new Map<string, boolean>();
  // No RESOURCE: what either config has a rule for. A resource that only the old config encrypts
  // gets the bare identity under the new one, and its values must become plaintext to stay readable.
  const listed = (resource: string): boolean => {
    let c = covered.get(resource);
    if (c === undefined) {
      c = providersForResource(newConfig, resource) !== null || providersForResource(opts.config, resource) !== null;
      covered.set(resource, c);
    }
    return c;
  };
  return {
    etcdPrefix: opts.etcdPrefix,
    select(key) {
      const resource = parseEtcdKey(key, opts.etcdPrefix)?.resource;
      if (resource === undefined) return null;
      return (wanted.size > 0 ? wanted.has(resource) : listed(resource)) ? resource : null;
    },
    force: opts.force,
    readOld: createValueReader(opts.config, opts.etcdPrefix, opts.options),
    readNew: opts.newConfig === null ? null : createValueReader(opts.newConfig, opts.etcdPrefix, opts.options),
    newConfig,
    options: opts.options,
  };
}

export type Decision = { kind: 'fresh' } | { kind: 'rewrite'; from: string; data: Uint8Array } | { kind: 'failed'; error: string };

export interface Candidate {
  key: Uint8Array;
  value: Uint8Array;
  resource: string;
}

const writtenWith = (r: ValueReport): string => (r.keyName === null ? (r.provider ?? 'unknown') : `${r.provider} ${r.keyName}`);

/** One decision per value, in order; values are read in one batch per resource. */
export async function decide(setup: RewriteSetup, values: readonly Candidate[]): Promise<Decision[]> {
  const asRead = values.map((v) => ({ key: v.key, value: v.value, resource: v.resource }));
  const fresh = new Array<boolean>(values.length).fill(false);
  if (setup.readNew !== null && !setup.force) {
    const reports = await setup.readNew.readMany(asRead, { decode: false });
    reports.forEach((r, i) => (fresh[i] = r.status !== 'error' && r.stale === false));
  }
  const pending = values.map((_, i) => i).filter((i) => !fresh[i]);
  const old = await setup.readOld.readMany(
    pending.map((i) => asRead[i]!),
    { decode: false },
  );
  const out: Decision[] = values.map(() => ({ kind: 'fresh' }));
  pending.forEach((i, k) => {
    const r = old[k]!;
    if (r.status === 'error') out[i] = { kind: 'failed', error: r.error ?? 'unreadable' };
    else if (setup.force || setup.readNew !== null || r.stale === true) out[i] = { kind: 'rewrite', from: writtenWith(r), data: r.data! };
  });
  return out;
}

/** The value the new config's first provider writes for `data` at `key`. */
export async function encryptFor(setup: RewriteSetup, resource: string, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  try {
    return await createTransformer(setup.newConfig, resource, setup.options).toStorage(data, key);
  } catch (e) {
    if (e instanceof K8sEncError) throw e.with({ etcdKey: fromUtf8(key) });
    throw e;
  }
}

/** How the new config writes a resource, for people: `aesgcm key2`, `kms:v2 vault`, `identity`. No key material. */
export function writerName(setup: RewriteSetup, resource: string): string {
  const first: ProviderConfig | undefined = providersForResource(setup.newConfig, resource)?.[0];
  if (first === undefined) return 'identity';
  if (first.type === 'kms') return `kms:${first.apiVersion} ${first.name}`;
  if ('keys' in first) return `${first.type} ${first.keys[0]?.name ?? ''}`.trim();
  return first.type;
}
