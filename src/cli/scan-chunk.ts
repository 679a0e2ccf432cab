/**
 * One scan request answered: a share of pass 1, or a chunk of values read, decrypted, decoded and
 * formatted. A scan worker (scan-worker.ts) answers its messages with it, and the main thread
 * answers its own lane's (scan-parallel.ts), so both print the same bytes.
 */
import type { SnapshotSource } from '../etcd/snapshot.ts';
import type { ScanItem } from '../etcd/source.ts';
import { fromClonedError } from '../errors.ts';
import { createValueReader } from '../value/reader.ts';
import { columnsFor, getChunk, verifyChunk } from './scan-format.ts';
import { unpackLocations } from '../etcd/packed-locations.ts';
import type { ChunkMessage, ChunkReply, ScanJob, ShareMessage } from './scan-messages.ts';

export type ChunkResult = Extract<ChunkReply, { ok: true }>;

/** The answerer for one job: the value reader (and its chains) made once, for every request. */
export function chunkRunner(job: ScanJob): (source: SnapshotSource, m: ChunkMessage | ShareMessage) => Promise<ChunkResult> {
  const reader = createValueReader(job.config, job.etcdPrefix);
  const encoder = new TextEncoder();
  const columns = columnsFor(job.config);
  return async (source, m) => {
    if ('share' in m) return { id: m.id, ok: true, share: source.planShare(m.share.prefix, m.share.revision, m.share.subtrees) };
    const items: ScanItem[] = m.problems.map((p) => ({ ok: false, error: fromClonedError(p) }));
    items.push(...source.read(unpackLocations(m.locations)));
    if (job.kind === 'verify') {
      const opts = { failuresOnly: job.failuresOnly === true, columns };
      const { text, marks } = await verifyChunk(items, reader, job.etcdPrefix, job.format, opts);
      return { id: m.id, ok: true, verify: { text: encoder.encode(text), marks } };
    }
    return { id: m.id, ok: true, get: await getChunk(items, reader, job.resource, job.format, job.forRestore) };
  };
}
