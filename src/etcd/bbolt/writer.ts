import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { K8sEncError } from '../../errors.ts';
import { fnv1a64, MAGIC, META_OFFSET, VERSION } from './meta.ts';
import { PAGE_HEADER_SIZE } from './node.ts';

const META_PAGE = 0x04;
const FREELIST_PAGE = 0x10;
/** The first page after the two metas: pages are handed out upwards from here, as bbolt allocates a fresh file. */
const FIRST_DATA_PAGE = 2;
/** Pages are collected into writes of this size: one syscall per few hundred pages. */
const WRITE_BUFFER = 4 << 20;

/**
 * Writes a new bbolt database file from scratch, page by page and front to back (see
 * docs/FORMATS.md for the layout): callers hand in finished branch/leaf page images and get their
 * page ids; `finish` adds an empty freelist page and the two meta pages, then (for a snapshot) the
 * sha256 trailer `etcdctl snapshot save` appends. Every page below the high-water mark is used, so
 * bbolt's consistency check finds nothing unreachable.
 */
export class BoltFileWriter {
  private fd: number | null;
  private nextPgid = FIRST_DATA_PAGE;
  private buf: Uint8Array;
  /** Page id of the first page in `buf`. */
  private bufStart = FIRST_DATA_PAGE;
  private bufUsed = 0;

  constructor(
    readonly path: string,
    readonly pageSize: number,
  ) {
    try {
      // The caller created the (temp) file exclusively with mode 0600; reopen it for writing.
      this.fd = openSync(path, 'r+');
    } catch (e) {
      throw ioError('cannot open', path, e);
    }
    this.buf = new Uint8Array(Math.max(WRITE_BUFFER, pageSize));
  }

  /** A zeroed page image for `bytes` of content: whole pages, the header's flags and count set. */
  newPage(bytes: number, flags: number, count: number): Uint8Array {
    const pages = Math.max(1, Math.ceil(bytes / this.pageSize));
    const image = new Uint8Array(pages * this.pageSize);
    const dv = new DataView(image.buffer);
    dv.setUint16(8, flags, true);
    dv.setUint16(10, count, true);
    dv.setUint32(12, pages - 1, true);
    return image;
  }

  /** Writes an image from `newPage` at the next free page ids and returns the first; fills in its id. */
  writePage(image: Uint8Array): number {
    const pgid = this.nextPgid;
    const pages = image.length / this.pageSize;
    new DataView(image.buffer, image.byteOffset).setBigUint64(0, BigInt(pgid), true);
    if (this.bufUsed + image.length > this.buf.length) this.flush();
    this.nextPgid += pages;
    if (image.length > this.buf.length) {
      this.writeAt(image, pgid * this.pageSize);
      this.bufStart = this.nextPgid;
      return pgid;
    }
    this.buf.set(image, this.bufUsed);
    this.bufUsed += image.length;
    return pgid;
  }

  private flush(): void {
    if (this.bufUsed > 0) this.writeAt(this.buf.subarray(0, this.bufUsed), this.bufStart * this.pageSize);
    this.bufStart = this.nextPgid;
    this.bufUsed = 0;
  }

  private writeAt(data: Uint8Array, offset: number): void {
    if (this.fd === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    for (let done = 0; done < data.length; ) {
      try {
        done += writeSync(this.fd, data, done, data.length - done, offset + done);
      } catch (e) {
        throw ioError('cannot write', this.path, e);
      }
    }
  }

  /**
   * Completes the file: an empty freelist page, meta pages 0 and 1 (txids `txid` and `txid + 1`,
   * both valid, both pointing at `rootPgid`), then with `trailer` the sha256 of all of it. Synced
   * to disk before it returns.
   */
  finish(rootPgid: number, txid: bigint, opts: { trailer: boolean }): void {
    const freelist = this.writePage(this.newPage(PAGE_HEADER_SIZE, FREELIST_PAGE, 0));
    this.flush();
    const highWater = this.nextPgid;
    for (const page of [0, 1]) {
      const image = this.newPage(PAGE_HEADER_SIZE, META_PAGE, 0);
      const dv = new DataView(image.buffer);
      dv.setBigUint64(0, BigInt(page), true);
      const m = META_OFFSET;
      dv.setUint32(m, MAGIC, true);
      dv.setUint32(m + 4, VERSION, true);
      dv.setUint32(m + 8, this.pageSize, true);
      dv.setUint32(m + 12, 0, true); // flags
      dv.setBigUint64(m + 16, BigInt(rootPgid), true); // root bucket: root page
      dv.setBigUint64(m + 24, 0n, true); // root bucket: sequence
      dv.setBigUint64(m + 32, BigInt(freelist), true);
      dv.setBigUint64(m + 40, BigInt(highWater), true);
      dv.setBigUint64(m + 48, txid + BigInt(page), true);
      dv.setBigUint64(m + 56, fnv1a64(image.subarray(m, m + 56)), true);
      this.writeAt(image, page * this.pageSize);
    }
    if (opts.trailer) this.writeAt(this.sha256(highWater * this.pageSize), highWater * this.pageSize);
    try {
      fsyncSync(this.fd!);
    } catch (e) {
      throw ioError('cannot sync', this.path, e);
    }
  }

  /** Reads the written database back: the metas come last but first in the file, so a running hash cannot be kept. */
  private sha256(length: number): Uint8Array {
    const h = createHash('sha256');
    const chunk = this.buf;
    for (let done = 0; done < length; ) {
      const n = readSync(this.fd!, chunk, 0, Math.min(chunk.length, length - done), done);
      if (n === 0) throw new K8sEncError('ERR_IO', `short read at byte ${done} of the file being written`, { file: this.path });
      h.update(chunk.subarray(0, n));
      done += n;
    }
    return new Uint8Array(h.digest());
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function ioError(what: string, path: string, e: unknown): K8sEncError {
  const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  return new K8sEncError('ERR_IO', `${what} ${JSON.stringify(path)}: ${reason}`, { file: path, cause: e });
}
