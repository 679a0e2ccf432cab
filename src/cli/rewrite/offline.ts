/**
 * `rewrite --snapshot IN --out OUT`: reads IN, decides and re-encrypts value by value, parks the
 * new revisions in a spool, then writes OUT from scratch: IN's buckets, the new revisions after
 * IN's current revision, and with `--compact` nothing but the latest revision of each key.
 */
import { dirname } from 'node:path';
import { fromUtf8, utf8 } from '../../bytes.ts';
import { removeStaleTemps, tempBeside } from '../atomic-write.ts';
import { BoltDb, missingBucket } from '../../etcd/bbolt/db.ts';
import { decodeKeyValue, encodeKeyValue, KeyValueDecodeError } from '../../etcd/mvcc/keyvalue.ts';
import { fromLatin1, latin1 } from '../../etcd/mvcc/key-index.ts';
import { isRevisionKey, revisionKey } from '../../etcd/mvcc/revision.ts';
import { openDatabaseFile } from '../../etcd/snapshot-file.ts';
import { SnapshotSource, type ValueLocation } from '../../etcd/snapshot.ts';
import { writeSnapshotCopy, type BucketEdit } from '../../etcd/snapshot-writer.ts';
import type { EtcdEntry } from '../../etcd/source.ts';
import { inChunks, SCAN_CHUNK, SCAN_CHUNK_BYTES } from '../chunks.ts';
import { decide, encryptFor, type Candidate, type RewriteRun, type RewriteSetup } from './decide.ts';
import { EntrySpool } from './spool.ts';

export interface OfflineOptions extends RewriteRun {
  inPath: string;
  outPath: string;
  skipHashCheck: boolean;
  compact: boolean;
  /** The plan line, before OUT is written. */
  plan(line: string): Promise<void>;
}

/** Selected locations with their resources, from pass 1 over every live key. */
function selected(setup: RewriteSetup, locations: ValueLocation[]): { loc: ValueLocation; key: string; resource: string }[] {
  const out: { loc: ValueLocation; key: string; resource: string }[] = [];
  for (const loc of locations) {
    const key = fromUtf8(fromLatin1(loc.name));
    const resource = setup.select(key);
    if (resource !== null) out.push({ loc, key, resource });
  }
  return out;
}

export async function rewriteSnapshot(o: OfflineOptions): Promise<void> {
  const { file, dataSize } = await openDatabaseFile(o.inPath, { skipHashCheck: o.skipHashCheck });
  await removeStaleTemps(dirname(o.outPath));
  // Both beside OUT (its file system must hold OUT anyway), both removed by an interrupt.
  const spoolName = tempBeside(o.outPath);
  const outTemp = tempBeside(o.outPath);
  const spool = new EntrySpool(spoolName.tmp);
  try {
    const db = new BoltDb(file, dataSize);
    const keyBucket = db.bucket(db.root, utf8('key'));
    if (keyBucket === null) throw missingBucket('key').with({ file: o.inPath });
    const source = new SnapshotSource(db, keyBucket, () => {});
    const { revision: current } = await source.info();
    // Every live key, not only the selected ones: --compact keeps the latest revision of each.
    const pass1 = await source.plan(new Uint8Array(0));
    // Key bucket entries that belong to no key we can name: unreadable values of unknown resource.
    for (const p of pass1.problems) {
      o.tally.add('(unknown)', 'failed');
      await o.report(p.etcdKey ?? '', p.message);
    }
    const rewritten = new Set<string>();
    let next = current;
    const items = selected(o.setup, pass1.locations);
    for await (const chunk of inChunks(toAsync(items), SCAN_CHUNK, (x) => x.loc.size, SCAN_CHUNK_BYTES)) {
      const read = source.read(chunk.map((c) => c.loc));
      const candidates: (Candidate & { entry: EtcdEntry })[] = [];
      const where: number[] = [];
      for (let i = 0; i < read.length; i++) {
        const item = read[i]!;
        const c = chunk[i]!;
        if (!item.ok) {
          o.tally.add(c.resource, 'failed');
          o.progress.tick(true);
          await o.report(c.key, item.error.message);
          continue;
        }
        candidates.push({ key: item.entry.key, value: item.entry.value, resource: c.resource, entry: item.entry });
        where.push(i);
      }
      const decisions = await decide(o.setup, candidates);
      for (let k = 0; k < candidates.length; k++) {
        const c = candidates[k]!;
        const d = decisions[k]!;
        if (d.kind === 'failed') {
          o.tally.add(c.resource, 'failed');
          await o.report(fromUtf8(c.key), d.error);
        } else if (d.kind === 'fresh') o.tally.add(c.resource, 'fresh');
        else {
          const value = await encryptFor(o.setup, c.resource, c.key, d.data);
          next++;
          const e = c.entry;
          // As the apiserver's own update would store it: a new mod revision, same create revision, version + 1.
          const kv = { ...e, modRevision: next, version: e.version + 1, value };
          spool.add(revisionKey(next, 0), encodeKeyValue(kv));
          rewritten.add(chunk[where[k]!]!.loc.name);
          o.tally.add(c.resource, 'rewritten');
        }
        o.progress.tick(d.kind === 'failed');
      }
    }
    const compactAt = next;
    const revs = spool.count === 0 ? 'no new revisions' : `revisions ${current + 1}..${next}`;
    const t = o.tally.total;
    const seen = t.rewritten + t.fresh + t.failed;
    const compacted = o.compact ? `, compacted at revision ${compactAt}` : '';
    await o.plan(
      `plan: rewrite ${spool.count} of ${seen} values (${t.failed} unreadable, left as they are) into ${o.outPath} as ${revs}${compacted}`,
    );
    const edits = new Map<string, BucketEdit>();
    const keyEdit: BucketEdit = { append: () => spool.entries() };
    if (o.compact) {
      const keep = new Set<string>();
      for (const loc of pass1.locations) if (!rewritten.has(loc.name)) keep.add(latin1(revisionKey(loc.main, loc.sub)));
      keyEdit.drop = (rk, value) => !keep.has(latin1(rk)) && isRevisionKey(rk) && decodes(value);
      const mark = revisionKey(compactAt, 0);
      edits.set('meta', {
        set: [
          { key: utf8('scheduledCompactRev'), value: mark },
          { key: utf8('finishedCompactRev'), value: mark },
        ],
      });
    }
    edits.set('key', keyEdit);
    await writeSnapshotCopy(db, o.outPath, edits, outTemp.tmp);
  } finally {
    spool.remove();
    spoolName.release();
    outTemp.release();
    file.close();
  }
}

/** An entry we cannot read is never dropped by --compact: nothing is lost silently. */
function decodes(value: Uint8Array): boolean {
  try {
    decodeKeyValue(value);
    return true;
  } catch (e) {
    if (e instanceof KeyValueDecodeError) return false;
    throw e;
  }
}

async function* toAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}
