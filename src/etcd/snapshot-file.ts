import { toHex } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { nodeBuiltin } from '../node-only.ts';
import type { BlockFile } from './bbolt/block-file.ts';
import { mapsWhole, RandomAccessFile } from './bbolt/file.ts';
import { addonPath } from '../native-addon.ts';

const SHA256_SIZE = 32;
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

export interface DatabaseFileOptions {
  skipHashCheck?: boolean;
  /** Leave the trailer check to the caller: `hashCheck()` makes it (see openSnapshot's overlapHashCheck). */
  deferHashCheck?: boolean;
}

/**
 * What is checked of the file's integrity: `verified` (the sha256 trailer is checked), `skipped`
 * (a trailer is there but --skip-hash-check said not to look), `no-trailer` (a member db, or a
 * snapshot cut short: nothing to check against).
 */
export type TrailerCheck = 'verified' | 'skipped' | 'no-trailer';

/** A file's bbolt part: where it ends, whether a sha256 trailer was there, and its check if deferred. */
export interface DatabaseExtent {
  dataSize: number;
  hasHash: boolean;
  hashCheck: (() => Promise<void>) | null;
  trailer: TrailerCheck;
}

/**
 * Finds where the database in `file` ends: `etcdctl snapshot save` appends a sha256 of the
 * database, recognised (as etcdutl does) by size mod 512 == 32; a member `db` has none. The
 * trailer is checked with `sha256Of(length)`, the hash of the file's first `length` bytes, before
 * this returns, or, with `deferHashCheck`, by the returned `hashCheck()`.
 */
export async function checkDatabaseFile(
  file: BlockFile,
  opts: DatabaseFileOptions,
  sha256Of: (length: number) => Promise<Uint8Array>,
): Promise<DatabaseExtent> {
  const name = file.path;
  if (file.size >= 4 && file.read(0, 4).every((b, i) => b === ZIP_MAGIC[i])) {
    const msg = `${name} is a zip archive (a k3s/rke2 snapshot?): unzip it first and read the snapshot file inside`;
    throw new K8sEncError('ERR_INPUT', msg, { file: name });
  }
  const hasHash = file.size % 512 === SHA256_SIZE;
  const dataSize = hasHash ? file.size - SHA256_SIZE : file.size;
  let hashCheck: (() => Promise<void>) | null = null;
  if (hasHash && opts.skipHashCheck !== true) {
    const want = file.read(dataSize, SHA256_SIZE).slice();
    hashCheck = async () => {
      const got = await sha256Of(dataSize);
      if (toHex(want) !== toHex(got)) {
        const msg = `snapshot sha256 mismatch: the trailer says ${toHex(want)}, the data hashes to ${toHex(got)} (--skip-hash-check reads it anyway)`;
        throw new K8sEncError('ERR_SNAPSHOT_HASH', msg, { file: name });
      }
    };
    if (opts.deferHashCheck !== true) {
      await hashCheck();
      hashCheck = null;
    }
  }
  const trailer: TrailerCheck = !hasHash ? 'no-trailer' : opts.skipHashCheck === true ? 'skipped' : 'verified';
  return { dataSize, hasHash, hashCheck, trailer };
}

/** Opens a bbolt file on Node (a snapshot or a member `db`); the trailer is hashed in a worker thread. */
export async function openDatabaseFile(path: string, opts: DatabaseFileOptions = {}): Promise<{ file: RandomAccessFile } & DatabaseExtent> {
  const file = RandomAccessFile.open(path);
  try {
    return { file, ...(await checkDatabaseFile(file, opts, (length) => sha256Prefix(path, length))) };
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
  const { Worker } = nodeBuiltin('node:worker_threads');
  const addon = mapsWhole(length + SHA256_SIZE) ? addonPath() : undefined; // length is all but the trailer
  const workerData = { path, length, addon };
  const worker = new Worker(HASH_WORKER, { eval: true, workerData, execArgv: [], stdout: false, stderr: false });
  return new Promise((resolve, reject) => {
    let result: Uint8Array | K8sEncError | undefined;
    worker.on('message', (m: { digest?: Uint8Array; error?: string }) => {
      result =
        m.digest !== undefined ? new Uint8Array(m.digest) : new K8sEncError('ERR_IO', m.error ?? 'hash worker failed', { file: path });
    });
    worker.on('error', (e) => (result ??= new K8sEncError('ERR_IO', `hashing ${path}: ${e.message}`, { file: path, cause: e })));
    worker.on('exit', () =>
      result instanceof Uint8Array
        ? resolve(result)
        : reject(result ?? new K8sEncError('ERR_IO', `hashing ${path}: worker exited`, { file: path })),
    );
  });
}

/**
 * With `addon` (a file the scan keeps mapped whole), the bytes are hashed from the mapping the
 * scan threads share (native/k8s_enc_native.c keeps one per file): no copy out of the page cache,
 * and the pages it faults in are mapped for the scan too (−60 ms CPU on 392 MiB).
 */
const HASH_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { closeSync, fstatSync, openSync, readSync } = require('node:fs');
const { path, length, addon } = workerData;
const h = createHash('sha256');
let fd;
function mapped() {
  try {
    return new Uint8Array(require(addon).mapFile(fd, 0, fstatSync(fd).size), 0, length);
  } catch {
    return null; // read instead
  }
}
try {
  fd = openSync(path, 'r');
  const whole = addon === undefined ? null : mapped();
  if (whole !== null) h.update(whole);
  const buf = Buffer.allocUnsafe(whole === null ? 1 << 20 : 0);
  for (let done = whole === null ? 0 : length; done < length; ) {
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
