/**
 * `rewrite --endpoints`: scans the selected keys page by page and rewrites stale values in
 * transactions of bounded size, each put guarded by the mod_revision it was read at. A concurrent
 * writer wins: its keys are re-read (the transaction's failure branch returns them) and decided
 * again. Running it again continues where it stopped, since fresh values are skipped.
 */
import { fromUtf8 } from '../../bytes.ts';
import { LiveSource } from '../../etcd/live.ts';
import type { EtcdEntry } from '../../etcd/source.ts';
import type { GuardedPut } from '../../etcd/txn-codec.ts';
import { decide, encryptFor, writerName, type RewriteRun } from './decide.ts';

/** etcd refuses a Txn with more than --max-txn-ops (default 128) operations per branch. */
export const MAX_BATCH = 128;
/** etcd refuses requests above --max-request-bytes (default 1.5 MiB): stay well below. */
const BATCH_BYTES = 1 << 20;
/** Rounds of "lost a race, re-read, try again" per batch before its keys are reported. */
const MAX_ATTEMPTS = 8;

export interface LiveOptions extends RewriteRun {
  source: LiveSource;
  prefix: Uint8Array;
  dryRun: boolean;
  /** Keys per transaction (1..128). */
  batch: number;
  /** Dry run: one line per value that would be rewritten. */
  wouldRewrite(line: string): Promise<void>;
  /** Called after a batch was decided and before its transaction: tests race a writer here. */
  beforeCommit?: (keys: Uint8Array[]) => Promise<void>;
}

interface Pending {
  entry: EtcdEntry;
  resource: string;
  value: Uint8Array;
}

export async function rewriteLive(o: LiveOptions): Promise<void> {
  let batch: { entry: EtcdEntry; resource: string }[] = [];
  let bytes = 0;
  for await (const item of o.source.scan(o.prefix, { unpinned: true })) {
    if (!item.ok) {
      const key = item.key === undefined ? '' : fromUtf8(item.key);
      const resource = key === '' ? null : o.setup.select(key);
      if (key === '' || resource !== null) {
        o.tally.add(resource ?? '(unknown)', 'failed');
        o.progress.tick(true);
        await o.report(key, item.error.message);
      }
      continue;
    }
    const resource = o.setup.select(fromUtf8(item.entry.key));
    if (resource === null) continue;
    batch.push({ entry: item.entry, resource });
    bytes += item.entry.value.length;
    if (batch.length >= o.batch || bytes >= BATCH_BYTES) {
      await runBatch(o, batch);
      batch = [];
      bytes = 0;
    }
  }
  if (batch.length > 0) await runBatch(o, batch);
}

/** Decides a batch and returns what to write; counts the rest. */
async function prepare(o: LiveOptions, batch: { entry: EtcdEntry; resource: string }[]): Promise<Pending[]> {
  const decisions = await decide(
    o.setup,
    batch.map((b) => ({ key: b.entry.key, value: b.entry.value, resource: b.resource })),
  );
  const pending: Pending[] = [];
  for (let i = 0; i < batch.length; i++) {
    const { entry, resource } = batch[i]!;
    const d = decisions[i]!;
    if (d.kind === 'failed') {
      o.tally.add(resource, 'failed');
      o.progress.tick(true);
      await o.report(fromUtf8(entry.key), d.error);
    } else if (d.kind === 'fresh') {
      o.tally.add(resource, 'fresh');
      o.progress.tick();
    } else if (o.dryRun) {
      o.tally.add(resource, 'rewritten');
      o.progress.tick();
      await o.wouldRewrite(`would rewrite ${fromUtf8(entry.key)}: ${d.from} -> ${writerName(o.setup, resource)}`);
    } else {
      pending.push({ entry, resource, value: await encryptFor(o.setup, resource, entry.key, d.data) });
    }
  }
  return pending;
}

async function runBatch(o: LiveOptions, batch: { entry: EtcdEntry; resource: string }[]): Promise<void> {
  let pending = await prepare(o, batch);
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > MAX_ATTEMPTS) {
      for (const p of pending) {
        o.tally.add(p.resource, 'failed');
        o.tally.unsettled++;
        o.progress.tick(true);
        await o.report(fromUtf8(p.entry.key), `changed by another writer ${MAX_ATTEMPTS} times while being rewritten; run rewrite again`);
      }
      return;
    }
    await o.beforeCommit?.(pending.map((p) => p.entry.key));
    const puts: GuardedPut[] = pending.map((p) => ({
      key: p.entry.key,
      modRevision: p.entry.modRevision,
      value: p.value,
      lease: p.entry.leaseId ?? 0n,
    }));
    const result = await o.source.guardedPuts(puts);
    if (result.succeeded) {
      for (const p of pending) {
        o.tally.add(p.resource, 'rewritten');
        o.progress.tick();
      }
      return;
    }
    // Lost a race: keep the unchanged keys, decide the changed ones again from their current state.
    const unchanged: Pending[] = [];
    const changed: { entry: EtcdEntry; resource: string }[] = [];
    for (let i = 0; i < pending.length; i++) {
      const p = pending[i]!;
      const raw = result.ranges[i]?.kvs[0];
      if (raw === undefined) {
        o.tally.gone++;
        o.progress.tick();
        continue;
      }
      const item = LiveSource.item(raw);
      if (!item.ok) {
        o.tally.add(p.resource, 'failed');
        o.progress.tick(true);
        await o.report(fromUtf8(p.entry.key), item.error.message);
      } else if (item.entry.modRevision === p.entry.modRevision) unchanged.push(p);
      else {
        o.tally.retried++;
        changed.push({ entry: item.entry, resource: p.resource });
      }
    }
    pending = [...unchanged, ...(await prepare(o, changed))];
  }
}
