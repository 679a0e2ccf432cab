/**
 * Writes a new etcd snapshot file from an existing one: every bucket copied (any nesting), with
 * per-bucket edits (drop entries, set entries, append entries), into a bbolt file built from
 * scratch, then the sha256 trailer `etcdctl snapshot save` appends. The source is never modified.
 */
import { constants } from 'node:fs';
import { link, open, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { compareBytes, fromUtf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import type { BoltDb, BucketRef } from './bbolt/db.ts';
import { BucketWriter } from './bbolt/bucket-writer.ts';
import { BUCKET_LEAF_FLAG, LEAF_PAGE, Node } from './bbolt/node.ts';
import { BoltFileWriter } from './bbolt/writer.ts';

export interface BucketEntry {
  key: Uint8Array;
  value: Uint8Array;
}

/** Changes to one top-level bucket while it is copied. */
export interface BucketEdit {
  /** Entries of the source to leave out (nested buckets are always kept). */
  drop?(key: Uint8Array, value: Uint8Array): boolean;
  /** Entries to set: they replace a source entry with the same key or are inserted in order. */
  set?: BucketEntry[];
  /** Entries after all others, in ascending key order (greater than every source key). */
  append?: () => Iterable<BucketEntry>;
}

/**
 * Copies `db` into a new snapshot at `outPath` (created 0600 as `tmp`, by default a temp file in
 * the same folder, moved into place once synced; never over an existing file). `edits` is keyed
 * by top-level bucket name.
 */
export async function writeSnapshotCopy(
  db: BoltDb,
  outPath: string,
  edits: ReadonlyMap<string, BucketEdit>,
  tmp = join(dirname(outPath), `.${basename(outPath)}.${randomBytes(6).toString('hex')}.tmp`),
): Promise<void> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  try {
    await (await open(tmp, flags, 0o600)).close();
  } catch (e) {
    throw new K8sEncError('ERR_IO', `cannot create ${JSON.stringify(tmp)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      file: tmp,
    });
  }
  const file = new BoltFileWriter(tmp, db.meta.pageSize);
  try {
    const root = new BucketWriter(file);
    for (const { key, value } of bucketsOf(db, db.root)) {
      const edit = edits.get(fromUtf8(key));
      root.putBucket(key, copyBucket(db, file, value, edit));
    }
    file.finish(root.finishRoot(), db.meta.txid + 1n, { trailer: true });
    file.close();
    await linkNoClobber(tmp, outPath);
  } catch (e) {
    file.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
}

/** rename() would replace a file created at `outPath` meanwhile; a hard link fails instead. */
async function linkNoClobber(tmp: string, outPath: string): Promise<void> {
  try {
    await link(tmp, outPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV') {
      throw new K8sEncError('ERR_IO', `cannot create ${JSON.stringify(outPath)}: ${code ?? String(e)}`, { file: outPath });
    }
    await rename(tmp, outPath); // file systems without hard links
    return;
  }
  await unlink(tmp);
}

/** The elements of a bucket that are nested buckets, copied out (the root bucket holds only these). */
function bucketsOf(db: BoltDb, ref: BucketRef): BucketEntry[] {
  const out: BucketEntry[] = [];
  db.forEachLeaf(ref, (leaf) => {
    for (let i = 0; i < leaf.count; i++) {
      if ((leaf.elementFlags(i) & BUCKET_LEAF_FLAG) === 0) {
        const where = ref.inline ? `inline bucket on page ${leaf.page}` : `page ${leaf.page}`;
        throw new K8sEncError('ERR_BBOLT_CORRUPT', `${where}: the root bucket holds a plain key, want only buckets`, { page: leaf.page });
      }
      out.push({ key: leaf.key(i).slice(), value: leaf.value(i).slice() });
    }
  });
  return out;
}

function copyBucket(db: BoltDb, file: BoltFileWriter, bucketValue: Uint8Array, edit: BucketEdit | undefined): BucketWriter {
  // Only its page number is read: it names where the bucket value came from in errors.
  const holder = new Node(0, false, new Uint8Array(0), db.meta.littleEndian, LEAF_PAGE, 0);
  const ref = db.bucketFromValue(holder, bucketValue);
  const sequence = new DataView(bucketValue.buffer, bucketValue.byteOffset, 16).getBigUint64(8, db.meta.littleEndian);
  const out = new BucketWriter(file, sequence);
  const set = [...(edit?.set ?? [])].sort((a, b) => compareBytes(a.key, b.key));
  let next = 0;
  const putSetBefore = (key: Uint8Array | null): void => {
    while (next < set.length && (key === null || compareBytes(set[next]!.key, key) < 0)) out.put(set[next]!.key, set[next++]!.value);
  };
  db.forEachLeaf(ref, (visited) => {
    // A nested bucket is copied while this leaf is being walked: hold the leaf in its own copy,
    // since the reads below reuse the file's block buffers that `visited` points into.
    let leaf = visited;
    for (let i = 0; i < leaf.count; i++) {
      if ((leaf.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0 && leaf === visited) {
        leaf = Node.parse(visited.page, visited.inline, visited.buf.slice(), visited.le);
      }
    }
    for (let i = 0; i < leaf.count; i++) {
      const key = leaf.key(i);
      putSetBefore(key);
      if (next < set.length && compareBytes(set[next]!.key, key) === 0) {
        out.put(key, set[next++]!.value);
        continue;
      }
      const value = leaf.value(i);
      if ((leaf.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0) out.putBucket(key, copyBucket(db, file, value.slice(), undefined));
      else if (edit?.drop?.(key, value) !== true) out.put(key, value);
    }
  });
  putSetBefore(null);
  for (const e of edit?.append?.() ?? []) out.put(e.key, e.value);
  return out;
}
