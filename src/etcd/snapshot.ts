import { equalBytes, fromUtf8, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { BoltDb, missingBucket, type BucketRef } from './bbolt/db.ts';
import type { BlockFile } from './bbolt/block-file.ts';
import { KeyValueDecodeError, decodeKeyValue } from './mvcc/keyvalue.ts';
import { fromLatin1, indexKeyBucket, type KeyIndex } from './mvcc/key-index.ts';
import { parseRevisionKey } from './mvcc/revision.ts';
import { openDatabaseFile, type TrailerCheck } from './snapshot-file.ts';
import type { PackedPlan } from './packed-locations.ts';
import { mergeShares, shareOf, splitRoots, type PlanShare } from './plan-shares.ts';
import type { EtcdEntry, EtcdRevisionInfo, EtcdSource, ScanItem, ScanOptions } from './source.ts';

/**
 * Pass 2 reads values in key-ordered batches, each batch's reads in file order. The bounds keep
 * the values held at once small: with keys spread over the file, bigger batches barely share
 * reads anyway, a batch of live values that outlives a few young-generation collections costs
 * more than it saves, and a mapped file drops its touched pages only between batches.
 */
const BATCH_ENTRIES = 512;
const BATCH_BYTES = 8 << 20;

/** Where pass 1 found one live key's newest entry (or the error it found there instead). */
export interface ValueLocation {
  /** The etcd key, latin1 (one char per byte). */
  name: string;
  page: number;
  index: number;
  /** The value's first byte in the file; -1 for a value inside an inline bucket (read through `page`, `index`). */
  offset: number;
  size: number;
  main: number;
  sub: number;
  error?: K8sEncError;
}

/** Pass 1's answer: problems to report first, then the live keys' locations in key order. */
export interface ScanPlan {
  problems: K8sEncError[];
  locations: ValueLocation[];
}

/**
 * Reads etcd's state out of an `etcdctl snapshot save` file or a member `db` file, without etcd.
 * Memory: O(number of matching keys) small index records, an 8 MiB block cache and one batch of
 * values (at most 8 MiB), whatever the file size; mapped (with the native addon), also the file's
 * pages it touched, as page cache: all of a file up to 1 GiB, at most ~8 MiB past that (file.ts).
 * `overlapHashCheck`: the sha256 trailer is checked (in a worker thread) while the first `info`,
 * `plan`, `scan` or `get` reads the file, and that call fails with the hash error if it does not
 * match; without it, opening fails. Nothing is returned from an unchecked file either way, and a
 * hash mismatch is the error reported over any the unchecked data causes.
 */
export async function openSnapshot(
  path: string,
  opts: { skipHashCheck?: boolean; overlapHashCheck?: boolean } = {},
): Promise<SnapshotSource> {
  const { file, dataSize, hashCheck, trailer } = await openDatabaseFile(path, { ...opts, deferHashCheck: opts.overlapHashCheck === true });
  const source = await snapshotOver(file, dataSize, hashCheck);
  source.trailer = trailer;
  return source;
}

/**
 * The source over an opened file whose first `dataSize` bytes are the database, `hashCheck` the
 * deferred trailer check if any (see overlapHashCheck); closes the file on failure.
 */
export async function snapshotOver(
  file: BlockFile,
  dataSize: number,
  hashCheck: (() => Promise<void>) | null = null,
): Promise<SnapshotSource> {
  try {
    const db = new BoltDb(file, dataSize);
    const keyBucket = db.bucket(db.root, utf8('key'));
    if (keyBucket === null) throw missingBucket('key');
    return new SnapshotSource(db, keyBucket, () => file.close(), hashCheck);
  } catch (e) {
    file.close();
    if (hashCheck !== null) await hashCheck();
    if (e instanceof K8sEncError) e.with({ file: file.path });
    throw e;
  }
}

/**
 * An {@link EtcdSource} over an etcd snapshot or member db file; get one from {@link openSnapshot}.
 * Damage throws ERR_BBOLT_CORRUPT (a bad entry comes as an ERR_ETCD_CORRUPT scan item); a revision
 * out of range throws ERR_USAGE, ERR_ETCD_COMPACTED or ERR_ETCD_FUTURE_REVISION; a sha256 trailer
 * mismatch throws ERR_SNAPSHOT_HASH.
 */
export class SnapshotSource implements EtcdSource {
  private revisionInfo: EtcdRevisionInfo | undefined;
  private hashResult: Promise<void> | undefined;
  /** What is checked of the file's sha256 trailer. */
  trailer: TrailerCheck = 'no-trailer';

  constructor(
    private readonly db: BoltDb,
    private readonly keyBucket: BucketRef,
    private readonly closeFile: () => void,
    /** The sha256 check still to make (openSnapshot's overlapHashCheck), else null. */
    private readonly hashCheck: (() => Promise<void>) | null = null,
  ) {}

  /**
   * `work`'s result once the hash check (started here, in a worker thread) has passed too; a hash
   * mismatch wins over any error `work` met in the unchecked file.
   */
  private async checked<T>(work: () => T | Promise<T>, awaitHash = true): Promise<T> {
    if (this.hashCheck === null) return work();
    this.hashResult ??= this.hashCheck();
    let result: T;
    try {
      result = await work();
    } catch (e) {
      await this.hashResult;
      throw e;
    }
    if (awaitHash) await this.hashResult;
    else this.hashResult.catch(() => undefined); // reported by the call that awaits it (mergeShares)
    return result;
  }

  /** Bytes of the database (the file without its sha256 trailer). */
  get size(): number {
    return this.db.dataSize;
  }

  /** Resolves once the sha256 trailer is checked (at once when it was checked at open or is skipped). */
  async hashChecked(): Promise<void> {
    await this.checked(() => undefined);
  }

  async info(): Promise<EtcdRevisionInfo> {
    return this.checked(() => this.infoNow());
  }

  private infoNow(): EtcdRevisionInfo {
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
        if (equalBytes(node.key(i), key)) found = node.value(i).slice();
      }
    });
    return found;
  }

  private checkRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return 0;
    if (!Number.isSafeInteger(revision) || revision < 0) {
      throw new K8sEncError('ERR_USAGE', `invalid revision ${revision}`);
    }
    const { revision: current, compactRevision } = this.infoNow();
    if (revision < compactRevision) throw new K8sEncError('ERR_ETCD_COMPACTED', 'required revision has been compacted');
    if (revision > current) throw new K8sEncError('ERR_ETCD_FUTURE_REVISION', 'required revision is a future revision');
    return revision;
  }

  async *scan(prefix: Uint8Array, opts: ScanOptions = {}): AsyncIterable<ScanItem> {
    const plan = await this.plan(prefix, opts);
    opts.onTotal?.(plan.problems.length + plan.locations.length);
    for (const error of plan.problems) yield { ok: false, error };
    let from = 0;
    let bytes = 0;
    for (let i = 0; i < plan.locations.length; i++) {
      bytes += plan.locations[i]!.size;
      if (i + 1 - from >= BATCH_ENTRIES || bytes >= BATCH_BYTES) {
        yield* this.read(plan.locations.slice(from, i + 1));
        from = i + 1;
        bytes = 0;
      }
    }
    yield* this.read(plan.locations.slice(from));
  }

  /**
   * Pass 1 alone: the keys under `prefix` live at the revision and where their values lie, so that
   * several readers (worker threads with their own file handle) can each `read` a share.
   */
  async plan(prefix: Uint8Array, opts: { revision?: number } = {}): Promise<ScanPlan> {
    return this.checked(() => this.planNow(prefix, opts));
  }

  private planNow(prefix: Uint8Array, opts: { revision?: number }): ScanPlan {
    const revision = this.checkRevision(opts.revision);
    const index = indexKeyBucket(this.db, this.keyBucket, { prefix, exact: false, revision });
    const problems = [...index.orphans];
    if (index.droppedOrphans > 0) {
      const msg = `${index.droppedOrphans} more key bucket entries could not be read`;
      problems.push(new K8sEncError('ERR_ETCD_CORRUPT', msg));
    }
    const locations: ValueLocation[] = [];
    for (const name of [...index.slots.keys()].sort()) {
      const slot = index.slots.get(name)!;
      if (index.tombstone[slot] !== 1) locations.push(locationOf(index, name, slot));
    }
    return { problems, locations };
  }

  /**
   * Pass 1 split in shares: the key bucket's subtrees in `count` shares (fewer when its root has
   * fewer children), and the revision checked against the file; null when the bucket is too small
   * to split (then use `plan`). The sha256 check starts here and is awaited by mergeShares (or by
   * `plan` when this gives null).
   */
  async planShares(count: number, opts: { revision?: number } = {}): Promise<{ subtrees: number[][]; revision: number } | null> {
    // Not waiting for the hash: the shares are read while it runs, as one pass is; mergeShares waits.
    return this.checked(() => {
      const revision = this.checkRevision(opts.revision);
      const subtrees = splitRoots(this.db, this.keyBucket, count);
      return subtrees === null ? null : { subtrees, revision };
    }, false);
  }

  /** One share of pass 1 (a thread's own source over the same file): `revision` as planShares checked it. */
  planShare(prefix: Uint8Array, revision: number, subtrees: readonly number[]): PlanShare {
    return shareOf(indexKeyBucket(this.db, this.keyBucket, { prefix, exact: false, revision }, subtrees));
  }

  /** The plan from every share, the same as `plan` gives. */
  async mergeShares(shares: readonly PlanShare[]): Promise<PackedPlan> {
    return this.checked(() => mergeShares(shares));
  }

  /** One walk over the key bucket: it is in revision order, so a key's revisions can lie anywhere. */
  async get(key: Uint8Array, opts: { revision?: number } = {}): Promise<EtcdEntry | null> {
    return this.checked(() => this.getNow(key, opts));
  }

  private getNow(key: Uint8Array, opts: { revision?: number }): EtcdEntry | null {
    const revision = this.checkRevision(opts.revision);
    const index = indexKeyBucket(this.db, this.keyBucket, { prefix: key, exact: true, revision });
    const found = [...index.slots.entries()][0];
    if (found === undefined || index.tombstone[found[1]] === 1) return null;
    const item = this.read([locationOf(index, found[0], found[1])])[0]!;
    if (!item.ok) throw item.error;
    return item.entry;
  }

  /**
   * Reads the entries at `locations` in file order and returns them in the given order. Each
   * value's bytes are read straight from where pass 1 found them, into one arena per call (no
   * page re-parsed, no copy; values close together in the file share one read): a held entry
   * never pins a block of the file, and there is one allocation per call instead of two per entry.
   */
  read(locations: readonly ValueLocation[]): ScanItem[] {
    this.db.dropTouched(); // the previous batch's values are done with (or read again if not)
    const items: ScanItem[] = new Array(locations.length);
    const direct: number[] = [];
    const inline: number[] = [];
    for (let i = 0; i < locations.length; i++) {
      const loc = locations[i]!;
      if (loc.error !== undefined) items[i] = { ok: false, error: loc.error, key: fromLatin1(loc.name) };
      else (loc.offset >= 0 ? direct : inline).push(i);
    }
    if (this.readViews(locations, direct, items)) return this.readInline(locations, inline, items);
    const spans = spansOf(locations, direct);
    const arena = new Uint8Array(spans.bytes);
    for (let s = 0, at = 0; s < spans.count; s++) {
      this.db.readAt(spans.start[s]!, arena.subarray(at, at + spans.length[s]!));
      at += spans.length[s]!;
    }
    for (let k = 0; k < direct.length; k++) {
      const i = direct[k]!;
      const loc = locations[i]!;
      items[i] = decoded(loc, arena.subarray(spans.at[k]!, spans.at[k]! + loc.size));
    }
    return this.readInline(locations, inline, items);
  }

  /**
   * With the file mapped: each value is a view of the mapping. False when a value has none (a file
   * not mapped, a value across two mapped windows): then the caller reads them all, over any set here.
   */
  private readViews(locations: readonly ValueLocation[], direct: number[], items: ScanItem[]): boolean {
    for (const i of direct) {
      const loc = locations[i]!;
      const bytes = this.db.viewAt(loc.offset, loc.size);
      if (bytes === null) return false;
      items[i] = decoded(loc, bytes);
    }
    return true;
  }

  private readInline(locations: readonly ValueLocation[], inline: number[], items: ScanItem[]): ScanItem[] {
    for (const i of inline) {
      // An inline bucket (a tiny database) holds its values inside its parent's page: copy them out.
      const loc = locations[i]!;
      items[i] = decoded(loc, this.keyBucket.inline!.value(loc.index).slice());
    }
    return items;
  }

  async close(): Promise<void> {
    this.closeFile();
  }
}

/** Reads closer than this are merged into one: skipping a few page headers is cheaper than a syscall. */
const MERGE_GAP = 16 << 10;
/** A merged read stays below this, so a batch never reads much more than its values. */
const MAX_SPAN = 1 << 20;

/**
 * The file reads for the values at `which` (indices into `locations`): sorted by offset, runs of
 * values that lie close together merged into one span. `at[k]` is where value `which[k]` lands in
 * the arena the spans are read into back to back.
 */
function spansOf(
  locations: readonly ValueLocation[],
  which: number[],
): { count: number; start: Float64Array; length: Float64Array; at: Float64Array; bytes: number } {
  const order = Uint32Array.from(which.keys()).sort((a, b) => locations[which[a]!]!.offset - locations[which[b]!]!.offset);
  const start = new Float64Array(which.length);
  const length = new Float64Array(which.length);
  const at = new Float64Array(which.length);
  let count = 0;
  let bytes = 0;
  for (const k of order) {
    const loc = locations[which[k]!]!;
    const end = loc.offset + loc.size;
    const s = count - 1;
    if (s >= 0 && loc.offset >= start[s]! && loc.offset - (start[s]! + length[s]!) <= MERGE_GAP && end - start[s]! <= MAX_SPAN) {
      const grown = Math.max(length[s]!, end - start[s]!);
      bytes += grown - length[s]!;
      length[s] = grown;
      at[k] = bytes - grown + (loc.offset - start[s]!);
      continue;
    }
    start[count] = loc.offset;
    length[count] = loc.size;
    at[k] = bytes;
    bytes += loc.size;
    count++;
  }
  return { count, start, length, at, bytes };
}

/** The entry stored at `loc` from its value bytes. */
function decoded(loc: ValueLocation, bytes: Uint8Array): ScanItem {
  try {
    return { ok: true, entry: decodeKeyValue(bytes) };
  } catch (e) {
    if (!(e instanceof KeyValueDecodeError)) throw e;
    // Pass 1 read this entry's key, so the file changed under us (a live member db being written).
    const key = fromLatin1(loc.name);
    const msg = `cannot decode mvccpb.KeyValue of revision ${loc.main}_${loc.sub}: ${e.message}`;
    return { ok: false, error: new K8sEncError('ERR_ETCD_CORRUPT', msg, { page: loc.page, etcdKey: fromUtf8(key) }), key };
  }
}

function locationOf(index: KeyIndex, name: string, slot: number): ValueLocation {
  const loc: ValueLocation = {
    name,
    offset: index.offset[slot]!,
    page: index.page[slot]!,
    index: index.index[slot]!,
    size: index.valueSize[slot]!,
    main: index.main[slot]!,
    sub: index.sub[slot]!,
  };
  const error = index.errors.get(slot);
  if (error !== undefined) loc.error = error;
  return loc;
}
