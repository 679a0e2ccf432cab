/**
 * Snapshots in browsers: an `etcdctl snapshot save` file the user chose (a File is a Blob), read
 * by the same reader as on Node, its pages sliced from the Blob on demand. Needs a Web Worker
 * (see bbolt/blob-file.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { BlobFile } from './bbolt/blob-file.ts';
import { BlockFile } from './bbolt/block-file.ts';
import { checkDatabaseFile, type DatabaseFileOptions } from './snapshot-file.ts';
import { snapshotOver, type SnapshotSource } from './snapshot.ts';

export interface BlobSnapshotOptions extends DatabaseFileOptions {
  /** Called after each MiB of the sha256 check (the one pass over the whole file before reading). */
  onHashProgress?: (done: number, total: number) => void;
}

/** `hasHash`: the file had a sha256 trailer (and it matched, unless the check was skipped). */
export async function openSnapshotBlob(blob: Blob, opts: BlobSnapshotOptions = {}): Promise<{ source: SnapshotSource; hasHash: boolean }> {
  const name = (blob as { name?: unknown }).name;
  const file = new BlobFile(blob, typeof name === 'string' ? name : 'snapshot');
  try {
    const { dataSize, hasHash } = await checkDatabaseFile(file, opts, async (length) => {
      const h = sha256.create();
      for (let done = 0; done < length; ) {
        const n = Math.min(BlockFile.BLOCK_SIZE, length - done);
        h.update(file.read(done, n));
        done += n;
        opts.onHashProgress?.(done, length);
      }
      return h.digest();
    });
    return { source: await snapshotOver(file, dataSize), hasHash };
  } catch (e) {
    file.close();
    throw e;
  }
}
