import { K8sEncError } from '../../errors.ts';
import { u64AsNumber } from './meta.ts';

export const BRANCH_PAGE = 0x01;
export const LEAF_PAGE = 0x02;
export const BUCKET_LEAF_FLAG = 0x01;
export const PAGE_HEADER_SIZE = 16;
const ELEMENT_SIZE = 16;

/**
 * One branch or leaf node: a page (plus its overflow pages) or an inline bucket's page image.
 * Every accessor checks its bounds, so a corrupt element becomes an error naming the page.
 */
export class Node {
  private readonly dv: DataView;

  constructor(
    /** The page that holds this node; for an inline bucket, the page holding the bucket's value. */
    readonly page: number,
    readonly inline: boolean,
    readonly buf: Uint8Array,
    readonly le: boolean,
    readonly flags: number,
    readonly count: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Validates the header of `buf` (a page image) and the element table against its length. */
  static parse(page: number, inline: boolean, buf: Uint8Array, le: boolean): Node {
    const where = inline ? `inline bucket on page ${page}` : `page ${page}`;
    if (buf.length < PAGE_HEADER_SIZE) throw corrupt(page, `${where}: truncated page header`);
    const dv = new DataView(buf.buffer, buf.byteOffset, PAGE_HEADER_SIZE);
    const flags = dv.getUint16(8, le);
    const count = dv.getUint16(10, le);
    if (flags !== BRANCH_PAGE && flags !== LEAF_PAGE) {
      throw corrupt(page, `${where}: unexpected page flags 0x${flags.toString(16)}, want a branch or leaf page`);
    }
    if (inline && flags !== LEAF_PAGE) throw corrupt(page, `${where}: inline bucket is not a leaf`);
    if (flags === BRANCH_PAGE && count === 0) throw corrupt(page, `${where}: empty branch page`);
    if (PAGE_HEADER_SIZE + count * ELEMENT_SIZE > buf.length) {
      throw corrupt(page, `${where}: ${count} elements do not fit in ${buf.length} bytes`);
    }
    return new Node(page, inline, buf, le, flags, count);
  }

  get isLeaf(): boolean {
    return this.flags === LEAF_PAGE;
  }

  /** Branch: the child page of element i. */
  child(i: number): number {
    const pgid = u64AsNumber(this.dv, PAGE_HEADER_SIZE + i * ELEMENT_SIZE + 8, this.le);
    if (pgid < 0) throw corrupt(this.page, `page ${this.page}: element ${i} points to an impossible page id`);
    return pgid;
  }

  /** Branch or leaf: the key of element i. */
  key(i: number): Uint8Array {
    const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    const pos = this.dv.getUint32(e + (this.isLeaf ? 4 : 0), this.le);
    const ksize = this.dv.getUint32(e + (this.isLeaf ? 8 : 4), this.le);
    return this.slice(i, e + pos, ksize);
  }

  /** Leaf: element i's flags (BUCKET_LEAF_FLAG marks a nested bucket). */
  elementFlags(i: number): number {
    return this.dv.getUint32(PAGE_HEADER_SIZE + i * ELEMENT_SIZE, this.le);
  }

  /** Leaf: the value of element i (a view into the page). */
  value(i: number): Uint8Array {
    const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    const pos = this.dv.getUint32(e + 4, this.le);
    const ksize = this.dv.getUint32(e + 8, this.le);
    const vsize = this.dv.getUint32(e + 12, this.le);
    return this.slice(i, e + pos + ksize, vsize);
  }

  /** Leaf: where element i's value starts in this node's bytes (for a page, from the page's first byte). */
  valueStart(i: number): number {
    const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
    return e + this.dv.getUint32(e + 4, this.le) + this.dv.getUint32(e + 8, this.le);
  }

  /** Leaf: the size of element i's value, without reading it. */
  valueSize(i: number): number {
    return this.dv.getUint32(PAGE_HEADER_SIZE + i * ELEMENT_SIZE + 12, this.le);
  }

  private slice(i: number, start: number, size: number): Uint8Array {
    if (start + size > this.buf.length) {
      const where = this.inline ? `inline bucket on page ${this.page}` : `page ${this.page}`;
      throw corrupt(this.page, `${where}: element ${i} out of bounds (${start + size} > ${this.buf.length} bytes)`);
    }
    return this.buf.subarray(start, start + size);
  }
}

export function corrupt(page: number, message: string): K8sEncError {
  return new K8sEncError('ERR_BBOLT_CORRUPT', message, { page });
}
