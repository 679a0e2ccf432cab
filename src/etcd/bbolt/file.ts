import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { K8sEncError } from '../../errors.ts';

/**
 * Random access to a file that may be many GiB: synchronous positioned reads, because the per-page
 * path must stay cheap (an await per page would dominate a 100,000-key scan) and the reads come
 * from the OS page cache almost always.
 */
export class RandomAccessFile {
  readonly size: number;
  private fd: number | null;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  static open(path: string): RandomAccessFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      throw new K8sEncError('ERR_IO', `cannot open ${path}: ${(e as Error).message}`, { file: path, cause: e });
    }
    return new RandomAccessFile(path, fd);
  }

  /** Exactly `length` bytes at `offset`, or an ERR_IO error (the caller checks bounds first). */
  read(offset: number, length: number): Uint8Array {
    if (this.fd === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    const buf = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) {
        throw new K8sEncError('ERR_IO', `short read at byte ${offset + done} (file changed while reading?)`, {
          file: this.path,
        });
      }
      done += n;
    }
    return buf;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
