/**
 * Page access for salvage: like BoltDb.node, but a damaged page is an answer ("why it is not a
 * node"), never an exception, and a page cut short by the end of the file or an element table
 * longer than its page is read as far as it goes. Kept apart from the fast reader (bbolt/db.ts)
 * so that path pays nothing for this.
 */
import { K8sEncError } from '../../errors.ts';
import type { BlockFile } from '../bbolt/block-file.ts';
import { u64AsNumber, type Meta } from '../bbolt/meta.ts';
import { BRANCH_PAGE, LEAF_PAGE, Node, PAGE_HEADER_SIZE } from '../bbolt/node.ts';

const ELEMENT_SIZE = 16;
/** Page sizes bbolt is used with, most common first (as meta.ts probes them). */
const PAGE_SIZES = [4096, 16384, 65536, 8192, 32768, 2048, 1024, 512];

export interface PageRead {
  node: Node;
  /** Set when the page (with its overflow) runs past the end of the file or its element table past its bytes. */
  cut?: string;
  /** Byte ranges of `node.buf` in overflow pages that are all zeros: a value reaching into one is lost. */
  zeroed?: [number, number][];
}

export class PageFile {
  constructor(
    readonly file: BlockFile,
    readonly dataSize: number,
    readonly pageSize: number,
    readonly le: boolean,
  ) {}

  /** Pages that start inside the file (the last one may be cut short). */
  get pageCount(): number {
    return Math.ceil(this.dataSize / this.pageSize);
  }

  /**
   * The header's page id and flags, or null past the end of the file. `inOrder` for the page scan,
   * which reads every page in file order (through the 1 MiB block cache); a scattered read would
   * load a whole block for one page.
   */
  header(pgid: number, inOrder = false): { id: number; flags: number; count: number; overflow: number } | null {
    const start = pgid * this.pageSize;
    if (start + PAGE_HEADER_SIZE > this.dataSize) return null;
    const h = this.file.read(start, PAGE_HEADER_SIZE, inOrder);
    const dv = new DataView(h.buffer, h.byteOffset, PAGE_HEADER_SIZE);
    return {
      id: u64AsNumber(dv, 0, this.le),
      flags: dv.getUint16(8, this.le),
      count: dv.getUint16(10, this.le),
      overflow: dv.getUint32(12, this.le),
    };
  }

  /** The branch or leaf node at `pgid` as far as the file holds it, or why there is none. */
  read(pgid: number, inOrder = false): PageRead | string {
    if (pgid < 2) return 'a meta page, not a tree page';
    const h = this.header(pgid, inOrder);
    if (h === null) return `lies beyond the end of the file (${this.dataSize} bytes)`;
    if (h.id !== pgid) return `header says page ${h.id}`;
    if (h.flags !== BRANCH_PAGE && h.flags !== LEAF_PAGE) return `page flags 0x${h.flags.toString(16)}, not a branch or leaf`;
    if (h.flags === BRANCH_PAGE && h.count === 0) return 'empty branch page';
    const start = pgid * this.pageSize;
    const want = (1 + h.overflow) * this.pageSize;
    const length = Math.min(want, this.dataSize - start);
    let cut: string | undefined;
    if (length < want) cut = `${h.overflow > 0 ? `its ${h.overflow} overflow pages run` : 'it runs'} past the end of the file`;
    const buf = this.file.read(start, length, inOrder).slice();
    let count = h.count;
    const fits = Math.floor((length - PAGE_HEADER_SIZE) / ELEMENT_SIZE);
    // bbolt packs the data right after the element table, so element 0's offset tells the real count:
    // a damaged count in the header would otherwise hide elements without a trace.
    const tableCount = elementTableCount(buf, h.flags, this.le);
    if (tableCount !== null && tableCount !== count && tableCount <= fits) {
      // Either may be the damaged one: read as many as either says (elements past the real count
      // fail the shape check and are reported).
      cut = `the header says ${count} elements, the element table ${tableCount}`;
      count = Math.max(count, tableCount);
    }
    if (count > fits) {
      cut ??= `${count} elements do not fit in ${length} bytes`;
      count = fits;
    }
    const node = new Node(pgid, false, buf, this.le, h.flags, count);
    const zeroed: [number, number][] = [];
    for (let at = this.pageSize; at < buf.length; at += this.pageSize) {
      const end = Math.min(at + this.pageSize, buf.length);
      if (buf.subarray(at, end).every((b) => b === 0)) zeroed.push([at, end]);
    }
    return { node, ...(cut !== undefined && { cut }), ...(zeroed.length > 0 && { zeroed }) };
  }
}

/** The element count element 0's data offset implies (leaf: pos at +4, branch: at +0, relative to the element), or null. */
function elementTableCount(buf: Uint8Array, flags: number, le: boolean): number | null {
  if (buf.length < PAGE_HEADER_SIZE + ELEMENT_SIZE) return null;
  const pos = new DataView(buf.buffer, buf.byteOffset + PAGE_HEADER_SIZE, ELEMENT_SIZE).getUint32(flags === LEAF_PAGE ? 4 : 0, le);
  return pos >= ELEMENT_SIZE && pos % ELEMENT_SIZE === 0 ? pos / ELEMENT_SIZE : null;
}

/**
 * Page size and byte order when no meta page says them: the size at which most of the first pages
 * carry their own number in their header (bbolt writes each page's id at its start).
 */
export function probeLayout(file: BlockFile, dataSize: number): { pageSize: number; le: boolean } | null {
  let best: { pageSize: number; le: boolean; hits: number } | null = null;
  for (const pageSize of PAGE_SIZES) {
    for (const le of [true, false]) {
      const pf = new PageFile(file, dataSize, pageSize, le);
      let hits = 0;
      for (let p = 2; p < Math.min(pf.pageCount, 66); p++) if (pf.header(p)?.id === p) hits++;
      if (hits >= 2 && (best === null || hits > best.hits)) best = { pageSize, le, hits };
    }
  }
  return best === null ? null : { pageSize: best.pageSize, le: best.le };
}

export function pageFileFor(file: BlockFile, dataSize: number, meta: Meta | null): PageFile {
  if (meta !== null) return new PageFile(file, dataSize, meta.pageSize, meta.littleEndian);
  const layout = probeLayout(file, dataSize);
  if (layout === null) {
    throw new K8sEncError(
      'ERR_BBOLT_CORRUPT',
      'no valid meta page, and no page size at which pages carry their own numbers: not a bbolt file?',
      { page: 0, file: file.path },
    );
  }
  return new PageFile(file, dataSize, layout.pageSize, layout.le);
}
