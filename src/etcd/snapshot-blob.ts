/**
 * Snapshots not read from a path: an `etcdctl snapshot save` file the user chose in a browser (a
 * File is a Blob), its pages sliced from the Blob on demand (needs a Web Worker, see
 * bbolt/blob-file.ts), or a snapshot already in memory. Both are read by the same reader as a
 * file on Node.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BlobFile } from './bbolt/blob-file.ts';
import { BlockFile } from './bbolt/block-file.ts';
import { BytesFile } from './bbolt/bytes-file.ts';
import { checkDatabaseFile, type DatabaseFileOptions } from './snapshot-file.ts';
import { snapshotOver, type SnapshotSource } from './snapshot.ts';

export interface BlobSnapshotOptions extends DatabaseFileOptions {
  /** Called after each MiB of the sha256 check (the one pass over the whole file before reading). */
  onHashProgress?: (done: number, total: number) => void;
}

/** `hasHash`: the file had a sha256 trailer (and it matched, unless the check was skipped). */
export async function openSnapshotBlob(blob: Blob, opts: BlobSnapshotOptions = {}): Promise<{ source: SnapshotSource; hasHash: boolean }> {
  const name = (blob as { name?: unknown }).name;
  return openBlockSnapshot(new BlobFile(blob, typeof name === 'string' ? name : 'snapshot'), opts);
}

/** A snapshot (or member db) held in memory; `name` stands for the file in error messages. */
export async function openSnapshotBytes(
  bytes: Uint8Array,
  opts: BlobSnapshotOptions & { name?: string } = {},
): Promise<{ source: SnapshotSource; hasHash: boolean }> {
  return openBlockSnapshot(new BytesFile(bytes, opts.name ?? 'snapshot'), opts);
}

/** The source over `file`, its trailer hashed block by block first; closes the file on failure. */
async function openBlockSnapshot(file: BlockFile, opts: BlobSnapshotOptions): Promise<{ source: SnapshotSource; hasHash: boolean }> {
  try {
    const { dataSize, hasHash, trailer } = await checkDatabaseFile(file, opts, async (length) => {
      const h = sha256.create();
      for (let done = 0; done < length; ) {
        const n = Math.min(BlockFile.BLOCK_SIZE, length - done);
        h.update(file.read(done, n));
        done += n;
        opts.onHashProgress?.(done, length);
      }
      return h.digest();
    });
    const source = await snapshotOver(file, dataSize);
    source.trailer = trailer;
    return { source, hasHash };
  } catch (e) {
    file.close();
    throw e;
  }
}
