import { Worker } from 'node:worker_threads';
import { toHex } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { RandomAccessFile } from './bbolt/file.ts';

const SHA256_SIZE = 32;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/**
 * Opens a bbolt file and finds where the database ends: `etcdctl snapshot save` appends a sha256
 * of the database, recognised (as etcdutl does) by size mod 512 == 32; a member `db` has none.
 * The hash is checked before this returns, or, with `deferHashCheck`, by `hashCheck()` (which
 * starts it in a worker thread, so that the caller can read the file meanwhile).
 */
export async function openDatabaseFile(
  path: string,
  opts: { skipHashCheck?: boolean; deferHashCheck?: boolean } = {},
): Promise<{ file: RandomAccessFile; dataSize: number; hasHash: boolean; hashCheck: (() => Promise<void>) | null }> {
  const file = RandomAccessFile.open(path);
  try {
    if (file.size >= 4 && file.read(0, 4).every((b, i) => b === ZIP_MAGIC[i])) {
      const msg = `${path} is a zip archive (a k3s/rke2 snapshot?): unzip it first and read the snapshot file inside`;
      throw new K8sEncError('ERR_INPUT', msg, { file: path });
    }
    const hasHash = file.size % 512 === SHA256_SIZE;
    const dataSize = hasHash ? file.size - SHA256_SIZE : file.size;
    let hashCheck: (() => Promise<void>) | null = null;
    if (hasHash && opts.skipHashCheck !== true) {
      const want = file.read(dataSize, SHA256_SIZE).slice();
      hashCheck = async () => {
        const got = await sha256Prefix(path, dataSize);
        if (toHex(want) !== toHex(got)) {
          const msg = `snapshot sha256 mismatch: the trailer says ${toHex(want)}, the data hashes to ${toHex(got)} (--skip-hash-check reads it anyway)`;
          throw new K8sEncError('ERR_SNAPSHOT_HASH', msg, { file: path });
        }
      };
      if (opts.deferHashCheck !== true) {
        await hashCheck();
        hashCheck = null;
      }
    }
    return { file, dataSize, hasHash, hashCheck };
  } catch (e) {
    file.close();
    throw e;
  }
}

/**
 * Hashes the first `length` bytes in a worker thread (plain CommonJS, nothing to load): the main
 * thread stays free for pass 1 over the same file, which on a 392 MiB snapshot takes about as
 * long. One reused 1 MiB buffer: snapshots may be GiBs, and a fresh buffer per chunk grew RSS by
 * hundreds of MB before the collector caught up.
 */
export function sha256Prefix(path: string, length: number): Promise<Uint8Array> {
  const worker = new Worker(HASH_WORKER, { eval: true, workerData: { path, length }, execArgv: [], stdout: false, stderr: false });
  return new Promise((resolve, reject) => {
    let result: Uint8Array | K8sEncError | undefined;
    worker.on('message', (m: { digest?: Uint8Array; error?: string }) => {
      result = m.digest !== undefined ? new Uint8Array(m.digest) : new K8sEncError('ERR_IO', m.error ?? 'hash worker failed', { file: path });
    });
    worker.on('error', (e) => (result ??= new K8sEncError('ERR_IO', `hashing ${path}: ${e.message}`, { file: path, cause: e })));
    worker.on('exit', () => (result instanceof Uint8Array ? resolve(result) : reject(result ?? new K8sEncError('ERR_IO', `hashing ${path}: worker exited`, { file: path }))));
  });
}

const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, openSync, readSync } = require('node:fs');
const { path, length } = workerData;
const h = createHash('sha256');
const buf = Buffer.allocUnsafe(1 << 20);
let fd;
try {
  fd = openSync(path, 'r');
  for (let done = 0; done < length; ) {
    const n = readSync(fd, buf, 0, Math.min(buf.length, length - done), done);
    if (n === 0) throw new Error('short read at byte ' + done + ' (file changed while reading?)');
    h.update(buf.subarray(0, n));
    done += n;
  }
  parentPort.postMessage({ digest: h.digest() });
} catch (e) {
  parentPort.postMessage({ error: e.message });
} finally {
  if (fd !== undefined) closeSync(fd);
}
`;
