import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { K8sEncError } from '../../errors.ts';

/** Reads go through aligned 1 MiB blocks: one syscall serves a few hundred pages of a forward walk. */
const BLOCK_SIZE = 1 << 20;
/** At most this many blocks (8 MiB) stay cached, whatever the file size: walks go forward, and scattered reads rarely hit a block again. */
const MAX_BLOCKS = 8;

/**
 * Random access to a file that may be many GiB: synchronous positioned reads, because the per-page
 * path must stay cheap (an await per page would dominate a 100,000-key scan) and the reads come
 * from the OS page cache almost always. An evicted block's buffer is reused for the next block (a
 * scan reads every block of the file once: fresh 1 MiB buffers per block grew RSS by the file size
 * before the collector freed them), so a returned view is valid only until the next `read`:
 * callers copy what they keep.
 */
export class RandomAccessFile {
  static readonly BLOCK_SIZE = BLOCK_SIZE;
  readonly size: number;
  private fd: number | null;
  private readonly blocks = new Map<number, Uint8Array>();
  private scratch = new Uint8Array(64 << 10);

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

  /**
   * Exactly `length` bytes at `offset` (the caller checks that they lie inside the file). With
   * `wholeBlock` false a cache miss reads just these bytes: right for scattered reads.
   */
  read(offset: number, length: number, wholeBlock = true): Uint8Array {
    const index = Math.floor(offset / BLOCK_SIZE);
    const start = offset - index * BLOCK_SIZE;
    if (start + length > BLOCK_SIZE) return this.readScratch(offset, length);
    let block = this.blocks.get(index);
    if (block === undefined) {
      if (!wholeBlock) return this.readScratch(offset, length);
      let spare: Uint8Array | undefined;
      if (this.blocks.size >= MAX_BLOCKS) {
        const oldest = this.blocks.keys().next().value!;
        spare = this.blocks.get(oldest);
        this.blocks.delete(oldest);
      }
      const blockLength = Math.min(BLOCK_SIZE, this.size - index * BLOCK_SIZE);
      const at = index * BLOCK_SIZE;
      block = spare !== undefined && blockLength === BLOCK_SIZE ? this.readInto(spare, at) : this.readDirect(at, blockLength);
      this.blocks.set(index, block);
    }
    if (start + length > block.length) return this.readScratch(offset, length); // the file grew
    return block.subarray(start, start + length);
  }

  /** Uncached reads land in one reused buffer: a fresh one per scattered value is garbage the size of the file. */
  private readScratch(offset: number, length: number): Uint8Array {
    if (this.scratch.length < length) this.scratch = new Uint8Array(Math.max(length, 2 * this.scratch.length));
    return this.readInto(this.scratch.subarray(0, length), offset);
  }

  private readDirect(offset: number, length: number): Uint8Array {
    const b = Buffer.allocUnsafeSlow(length);
    return this.readInto(new Uint8Array(b.buffer, b.byteOffset, length), offset);
  }

  private readInto(buf: Uint8Array, offset: number): Uint8Array {
    if (this.fd === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    const length = buf.length;
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
    this.blocks.clear();
  }
}
