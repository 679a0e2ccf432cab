import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { toHex } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { RandomAccessFile } from './bbolt/file.ts';

const SHA256_SIZE = 32;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Opens a bbolt file and finds where the database ends: `etcdctl snapshot save` appends a sha256
 * of the database, recognised (as etcdutl does) by size mod 512 == 32; a member `db` has none.
 */
export async function openDatabaseFile(
  path: string,
  opts: { skipHashCheck?: boolean } = {},
): Promise<{ file: RandomAccessFile; dataSize: number; hasHash: boolean }> {
  const file = RandomAccessFile.open(path);
  try {
    if (file.size >= 4 && file.read(0, 4).every((b, i) => b === ZIP_MAGIC[i])) {
      const msg = `${path} is a zip archive (a k3s/rke2 snapshot?): unzip it first and read the snapshot file inside`;
      throw new K8sEncError('ERR_INPUT', msg, { file: path });
    }
    const hasHash = file.size % 512 === SHA256_SIZE;
    const dataSize = hasHash ? file.size - SHA256_SIZE : file.size;
    if (hasHash && opts.skipHashCheck !== true) {
      const want = file.read(dataSize, SHA256_SIZE).slice();
      const got = await sha256Prefix(path, dataSize);
      if (toHex(want) !== toHex(got)) {
        const msg = `snapshot sha256 mismatch: the trailer says ${toHex(want)}, the data hashes to ${toHex(got)} (--skip-hash-check reads it anyway)`;
        throw new K8sEncError('ERR_SNAPSHOT_HASH', msg, { file: path });
      }
    }
    return { file, dataSize, hasHash };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Hashes the first `length` bytes through one reused 1 MiB buffer: snapshots may be GiBs, and a
 * stream's fresh buffer per chunk grew RSS by hundreds of MB before the collector caught up.
 */
async function sha256Prefix(path: string, length: number): Promise<Uint8Array> {
  const h = createHash('sha256');
  const buf = new Uint8Array(1 << 20);
  const fh = await open(path, 'r');
  try {
    for (let done = 0; done < length; ) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, length - done), done);
      if (bytesRead === 0) throw new K8sEncError('ERR_IO', `short read at byte ${done} (file changed while reading?)`, { file: path });
      h.update(buf.subarray(0, bytesRead));
      done += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return new Uint8Array(h.digest());
}
