import { K8sEncError } from '../../errors.ts';
import { nodeBuiltin } from '../../node-only.ts';
import { BlockFile } from './block-file.ts';

/**
 * A file on Node, read with synchronous positioned reads: they come from the OS page cache
 * almost always. node:fs is fetched when a file is opened, so that loading the snapshot reader
 * works in browsers too (they read through blob-file.ts).
 */
export class RandomAccessFile extends BlockFile {
  private fd: number | null;
  private readonly fs = nodeBuiltin('node:fs');

  private constructor(path: string, fd: number, size: number) {
    super(path, size);
    this.fd = fd;
  }

  static open(path: string): RandomAccessFile {
    const fs = nodeBuiltin('node:fs');
    let fd: number;
    try {
      // Before opening: opening a pipe would wait for a writer, and a folder opens but cannot be read.
      const st = fs.statSync(path);
      if (st.isDirectory()) throw new K8sEncError('ERR_INPUT', `${path} is a folder, not a snapshot file`, { file: path });
      if (!st.isFile()) {
        const msg = `${path} is not a regular file (a pipe such as <(…)?): the snapshot is read at random offsets, save it to a file first`;
        throw new K8sEncError('ERR_INPUT', msg, { file: path });
      }
      fd = fs.openSync(path, 'r');
    } catch (e) {
      if (e instanceof K8sEncError) throw e;
      throw new K8sEncError('ERR_IO', `cannot open ${path}: ${(e as Error).message}`, { file: path, cause: e });
    }
    return new RandomAccessFile(path, fd, fs.fstatSync(fd).size);
  }

  protected override allocate(length: number): Uint8Array {
    const b = Buffer.allocUnsafeSlow(length);
    return new Uint8Array(b.buffer, b.byteOffset, length);
  }

  protected readInto(buf: Uint8Array, offset: number): Uint8Array {
    if (this.fd === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    const length = buf.length;
    let done = 0;
    while (done < length) {
      const n = this.fs.readSync(this.fd, buf, done, length - done, offset + done);
      if (n === 0) {
        throw new K8sEncError('ERR_IO', `short read at byte ${offset + done} (file changed while reading?)`, {
          file: this.path,
        });
      }
      done += n;
    }
    return buf;
  }

  override close(): void {
    if (this.fd !== null) this.fs.closeSync(this.fd);
    this.fd = null;
    super.close();
  }
}
