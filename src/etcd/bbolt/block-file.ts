/** Reads go through aligned 1 MiB blocks: one read serves a few hundred pages of a forward walk. */
const BLOCK_SIZE = 1 << 20;
/** At most this many blocks (8 MiB) stay cached, whatever the file size: walks go forward, and scattered reads rarely hit a block again. */
const MAX_BLOCKS = 8;

/**
 * Random access to a file that may be many GiB, for the snapshot reader: synchronous positioned
 * reads, because the per-page path must stay cheap (an await per page would dominate a
 * 100,000-key scan). Subclasses say how bytes are read: a file descriptor on Node (file.ts), a
 * Blob in a browser worker (blob-file.ts). An evicted block's buffer is reused for the next block
 * (a scan reads every block of the file once: fresh 1 MiB buffers per block grew RSS by the file
 * size before the collector freed them), so a returned view is valid only until the next `read`:
 * callers copy what they keep.
 */
export abstract class BlockFile {
  static readonly BLOCK_SIZE = BLOCK_SIZE;
  private readonly blocks = new Map<number, Uint8Array>();
  private scratch = new Uint8Array(64 << 10);

  constructor(
    /** The file's name in error messages. */
    readonly path: string,
    readonly size: number,
  ) {}

  /** Fills `buf` with the bytes at `offset` (all of them, or throws) and returns it. */
  protected abstract readInto(buf: Uint8Array, offset: number): Uint8Array;

  /** A fresh buffer for one block; Node's is allocated outside the V8 heap. */
  protected allocate(length: number): Uint8Array {
    return new Uint8Array(length);
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
      block = this.readInto(spare !== undefined && blockLength === BLOCK_SIZE ? spare : this.allocate(blockLength), at);
      this.blocks.set(index, block);
    }
    if (start + length > block.length) return this.readScratch(offset, length); // the file grew
    return block.subarray(start, start + length);
  }

  /**
   * A view of `length` bytes at `offset` that stays valid for as long as it is held, when the file
   * is mapped into memory (file.ts with the native addon); null otherwise, and callers read.
   */
  view(_offset: number, _length: number): Uint8Array | null {
    return null;
  }

  /** With a mapped file: lets the pages touched so far leave the process's memory, if many (see file.ts). */
  dropTouched(): void {}

  /** Fills `into` with the bytes at `offset`, bypassing the cache (the caller owns `into`). */
  readExactly(into: Uint8Array, offset: number): Uint8Array {
    return this.readInto(into, offset);
  }

  /** Uncached reads land in one reused buffer: a fresh one per scattered value is garbage the size of the file. */
  private readScratch(offset: number, length: number): Uint8Array {
    if (this.scratch.length < length) this.scratch = new Uint8Array(Math.max(length, 2 * this.scratch.length));
    return this.readInto(this.scratch.subarray(0, length), offset);
  }

  /** Drops the cache; subclasses release their handle too. */
  close(): void {
    this.blocks.clear();
  }
}
