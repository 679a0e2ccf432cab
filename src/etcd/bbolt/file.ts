import { K8sEncError } from '../../errors.ts';
import { nodeBuiltin } from '../../node-only.ts';
import { loadAddon, type Addon } from '../../native-addon.ts';
import { BlockFile } from './block-file.ts';

/** Mapped a window at a time: a typed array holds at most 4 GiB on Node 20, and an etcd db may hold 8. */
const WINDOW = 1 << 30;
/**
 * A file up to this size stays mapped whole: its pages are the page cache's (counted once in RSS,
 * however many threads map it, as bbolt's own mapping is). A larger one has its touched pages
 * dropped every DROP_EVERY bytes, keeping RSS bounded at the cost of faulting pages in again (a
 * 100,000-value scan of 392 MiB spent ~0.3 s of system time refaulting with drops every 32 MiB;
 * files past KEEP_MAPPED mostly hold bigger values, which fill their blocks: few refaults).
 */
const KEEP_MAPPED = 1 << 30;
const DROP_EVERY = 8 << 20;
/**
 * Linux maps up to 16 pages around a faulting one (fault-around), so a view touches this much:
 * counting only the viewed bytes, scattered 2 KiB values mapped the whole file between drops.
 */
const FAULT_AROUND = 64 << 10;

/**
 * A file on Node. With the native addon it is mapped read-only into memory, as bbolt itself
 * reads it: a value is a view, with no system call and no copy (a scan's ~200,000 positioned
 * reads and the batches' copies cost more than everything else it does to a value). A view used
 * after its pages were dropped (see KEEP_MAPPED) reads them again from the page cache, and a
 * mapping lives until the collector frees its last view, so no view outlives it. Without the
 * addon, or where a mapping fails, synchronous positioned reads (from the OS page cache almost
 * always). node:fs is fetched when a file is opened, so that loading the snapshot reader works
 * in browsers too (they read through blob-file.ts). Like bbolt, a mapped file must not be cut
 * short while it is read (that ends the process with SIGBUS); replacing it, as etcd's
 * defragmentation does, is safe.
 */
export class RandomAccessFile extends BlockFile {
  private fd: number | null;
  private readonly fs = nodeBuiltin('node:fs');
  private mapper: Addon | null = mappingAddon();
  private readonly windows: Uint8Array[] = [];
  /** Bytes of FAULT_AROUND blocks touched since the last drop, and the span of file bytes they lie in. */
  private touched = 0;
  private spanStart = Infinity;
  private spanEnd = -Infinity;
  /** The last block counted: a run of views in one block counts it once. */
  private lastBlock = -1;

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

  override view(offset: number, length: number): Uint8Array | null {
    if (this.mapper === null || this.fd === null || offset + length > this.size) return null;
    const w = Math.floor(offset / WINDOW);
    const start = offset - w * WINDOW;
    if (start + length > WINDOW) return null; // across two windows: read instead
    const window = this.windows[w] ?? this.map(w);
    if (window === null) return null;
    if (this.size > KEEP_MAPPED) this.touch(offset, length); // smaller files are never dropped
    return window.subarray(start, start + length);
  }

  override read(offset: number, length: number, wholeBlock = true): Uint8Array {
    // A page read is used at once and dropped with the next: a safe point to drop the mapped pages.
    this.dropTouched();
    return this.view(offset, length) ?? super.read(offset, length, wholeBlock);
  }

  /**
   * Drops the mapped pages once DROP_EVERY bytes were touched since the last drop. Callers pick
   * the moment: a value viewed, dropped and used again is read twice (a batch's values are each
   * used three times: decoded, decrypted, keyed).
   */
  override dropTouched(): void {
    if (this.touched < DROP_EVERY || this.mapper === null || this.size <= KEEP_MAPPED) return;
    // One madvise per window, over the span touched: each call costs a TLB flush on every core the
    // process runs on (one per touched run took ~0.5 s of a 100,000-value scan), and a span rather
    // than the whole 1 GiB window spares walking page tables of pages never touched.
    this.windows.forEach((m, w) => {
      const start = Math.max(w * WINDOW, this.spanStart);
      const end = Math.min(w * WINDOW + m.length, this.spanEnd);
      if (start < end) this.mapper!.dropPages(m.buffer as ArrayBuffer, Float64Array.of(start - w * WINDOW, end - start));
    });
    this.touched = 0;
    this.spanStart = Infinity;
    this.spanEnd = -Infinity;
    this.lastBlock = -1;
  }

  /** Counts the FAULT_AROUND blocks that the bytes [offset, offset + length) lie in as touched. */
  private touch(offset: number, length: number): void {
    const first = Math.floor(offset / FAULT_AROUND);
    const last = Math.floor((offset + length - 1) / FAULT_AROUND);
    const from = first <= this.lastBlock && this.lastBlock <= last ? this.lastBlock + 1 : first;
    if (last >= from) this.touched += (last - from + 1) * FAULT_AROUND;
    this.lastBlock = last;
    this.spanStart = Math.min(this.spanStart, first * FAULT_AROUND);
    this.spanEnd = Math.max(this.spanEnd, (last + 1) * FAULT_AROUND);
  }

  private map(w: number): Uint8Array | null {
    try {
      const buf = this.mapper!.mapFile(this.fd!, w * WINDOW, Math.min(WINDOW, this.size - w * WINDOW));
      return (this.windows[w] = new Uint8Array(buf));
    } catch {
      this.mapper = null; // no mapping here (a special file system, address space): positioned reads it is
      return null;
    }
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
    // The mappings stay valid for views still held; the collector unmaps them after the last one.
    this.windows.length = 0;
    super.close();
  }
}

/**
 * A file of `size` bytes is mapped in one piece and kept (see KEEP_MAPPED), so another thread that
 * maps it (the trailer's hash) shares the mapping; false when files are not mapped here at all.
 */
export function mapsWhole(size: number): boolean {
  return size <= KEEP_MAPPED && mappingAddon() !== null;
}

/** The addon if it can map files (an older prebuilt one cannot); `K8S_ENC_MMAP=0` reads instead, to compare both. */
function mappingAddon(): Addon | null {
  const addon = process.env.K8S_ENC_MMAP === '0' ? null : loadAddon();
  return typeof addon?.mapFile === 'function' ? addon : null;
}
