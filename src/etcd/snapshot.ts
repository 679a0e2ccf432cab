import { equalBytes, fromUtf8, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { BoltDb, missingBucket, type BucketRef } from './bbolt/db.ts';
import { KeyValueDecodeError, decodeKeyValue } from './mvcc/keyvalue.ts';
import { fromLatin1, indexKeyBucket, type LatestRevision } from './mvcc/key-index.ts';
import { parseRevisionKey } from './mvcc/revision.ts';
import { openDatabaseFile } from './snapshot-file.ts';
import type { EtcdEntry, EtcdRevisionInfo, EtcdSource, ScanItem } from './source.ts';

/** Pass 2 reads values in batches, in page order within a batch so the file is read mostly forward. */
const BATCH_ENTRIES = 1024;
const BATCH_BYTES = 64 << 20;

/**
 * Reads etcd's state out of an `etcdctl snapshot save` file or a member `db` file, without etcd.
 * Memory: O(number of matching keys) small index records, a 16 MiB page cache and one batch of
 * values (≤ 1024 values or about 64 MiB), whatever the file size.
 */
export async function openSnapshot(path: string, opts: { skipHashCheck?: boolean } = {}): Promise<EtcdSource> {
  const { file, dataSize } = await openDatabaseFile(path, opts);
  try {
    const db = new BoltDb(file, dataSize);
    const keyBucket = db.bucket(db.root, utf8('key'));
    if (keyBucket === null) throw missingBucket('key');
    return new SnapshotSource(db, keyBucket, () => file.close());
  } catch (e) {
    file.close();
    if (e instanceof K8sEncError) e.with({ file: path });
    throw e;
  }
}

class SnapshotSource implements EtcdSource {
  private revisionInfo: EtcdRevisionInfo | undefined;

  constructor(
    private readonly db: BoltDb,
    private readonly keyBucket: BucketRef,
    private readonly closeFile: () => void,
  ) {}

  async info(): Promise<EtcdRevisionInfo> {
    this.revisionInfo ??= this.readInfo();
    return this.revisionInfo;
  }

  private readInfo(): EtcdRevisionInfo {
    let compactRevision = 0;
    const meta = this.db.bucket(this.db.root, utf8('meta'));
    if (meta !== null) {
      const raw = this.lookup(meta, utf8('finishedCompactRev'));
      const rev = raw === null ? null : parseRevisionKey(raw);
      if (rev !== null) compactRevision = rev.main;
    }
    // etcd restores its current revision from the last key bucket entry, or the compaction if later.
    const last = this.db.last(this.keyBucket);
    const lastRev = last === null ? null : parseRevisionKey(last.node.key(last.index));
    return { revision: Math.max(lastRev?.main ?? 0, compactRevision), compactRevision };
  }

  private lookup(bucket: BucketRef, key: Uint8Array): Uint8Array | null {
    // Small buckets only (meta): a leaf walk is simpler than a keyed descent and just as fast there.
    let found: Uint8Array | null = null;
    this.db.forEachLeaf(bucket, (node) => {
      for (let i = 0; i < node.count && found === null; i++) {
        if (equalBytes(node.key(i), key)) found = node.value(i);
      }
    });
    return found;
  }

  private async checkRevision(revision: number | undefined): Promise<number> {
    if (revision === undefined || revision === 0) return 0;
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new K8sEncError('ERR_USAGE', `invalid revision ${revision}`);
    }
    const { revision: current, compactRevision } = await this.info();
    if (revision < compactRevision) throw new K8sEncError('ERR_ETCD_COMPACTED', 'required revision has been compacted');
    if (revision > current) throw new K8sEncError('ERR_USAGE', 'required revision is a future revision');
    return revision;
  }

  async *scan(prefix: Uint8Array, opts: { revision?: number } = {}): AsyncIterable<ScanItem> {
    const revision = await this.checkRevision(opts.revision);
    const index = indexKeyBucket(this.db, this.keyBucket, { prefix, exact: false, revision });
    for (const error of index.orphans) yield { ok: false, error };
    if (index.droppedOrphans > 0) {
      const msg = `${index.droppedOrphans} more key bucket entries could not be read`;
      yield { ok: false, error: new K8sEncError('ERR_ETCD_CORRUPT', msg) };
    }
    const names = [...index.latest.keys()].sort();
    let batch: [string, LatestRevision][] = [];
    let batchBytes = 0;
    for (const name of names) {
      const rec = index.latest.get(name)!;
      if (rec.tombstone) continue;
      batch.push([name, rec]);
      batchBytes += rec.valueSize;
      if (batch.length >= BATCH_ENTRIES || batchBytes >= BATCH_BYTES) {
        yield* this.readBatch(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    yield* this.readBatch(batch);
  }

  async get(key: Uint8Array, opts: { revision?: number } = {}): Promise<EtcdEntry | null> {
    const revision = await this.checkRevision(opts.revision);
    const index = indexKeyBucket(this.db, this.keyBucket, { prefix: key, exact: true, revision });
    const found = [...index.latest.entries()][0];
    if (found === undefined || found[1].tombstone) return null;
    const item = this.readBatch([found])[0]!;
    if (!item.ok) throw item.error;
    return item.entry;
  }

  /** Reads one batch's values in page order and returns them in the batch's (key) order. */
  private readBatch(batch: [string, LatestRevision][]): ScanItem[] {
    const order = batch.map((_, i) => i).sort((a, b) => {
      const ra = batch[a]![1];
      const rb = batch[b]![1];
      return ra.page - rb.page || ra.index - rb.index;
    });
    const items: ScanItem[] = new Array(batch.length);
    for (const i of order) {
      const [name, rec] = batch[i]!;
      items[i] = this.readEntry(name, rec);
    }
    return items;
  }

  private readEntry(name: string, rec: LatestRevision): ScanItem {
    const key = fromLatin1(name);
    if (rec.error !== undefined) return { ok: false, error: rec.error, key };
    const node = this.keyBucket.inline ?? this.db.node(rec.page);
    try {
      const kv = decodeKeyValue(node.value(rec.index));
      const { createRevision, modRevision, version, lease } = kv;
      return { ok: true, entry: { key, value: kv.value.slice(), createRevision, modRevision, version, lease } };
    } catch (e) {
      if (!(e instanceof KeyValueDecodeError)) throw e;
      // Pass 1 decoded this entry, so the file changed under us (a live member db being written).
      const msg = `cannot decode mvccpb.KeyValue of revision ${rec.main}_${rec.sub}: ${e.message}`;
      return { ok: false, error: new K8sEncError('ERR_ETCD_CORRUPT', msg, { page: rec.page, etcdKey: fromUtf8(key) }), key };
    }
  }

  async close(): Promise<void> {
    this.closeFile();
  }
}
