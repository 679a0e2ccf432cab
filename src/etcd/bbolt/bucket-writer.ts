import { compareBytes } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import { BRANCH_PAGE, BUCKET_LEAF_FLAG, LEAF_PAGE, PAGE_HEADER_SIZE } from './node.ts';
import type { BoltFileWriter } from './writer.ts';

const ELEMENT_SIZE = 16;
/** A bucket value: root page id and sequence, then (root 0) the inline leaf page. */
const BUCKET_HEADER_SIZE = 16;

/** A child page of the next branch level up: the first key below it and its page id. */
interface ChildRef {
  key: Uint8Array;
  pgid: number;
}

/**
 * Builds one bucket's B+tree from keys given in ascending order, streaming: leaves are written as
 * they fill (one leaf's elements held at a time), branch levels are built from the leaves' first
 * keys at the end. A bucket small enough stays inline in its parent, by bbolt's own rule
 * (`Bucket.inlineable`: one leaf, no nested buckets, at most a quarter page), so bbolt rewrites
 * the file exactly as if it had written it.
 */
export class BucketWriter {
  private keys: Uint8Array[] = [];
  private values: Uint8Array[] = [];
  private flags: number[] = [];
  /** Size of the pending leaf page: header, elements, keys and values. */
  private leafBytes = PAGE_HEADER_SIZE;
  private hasNested = false;
  private readonly leaves: ChildRef[] = [];
  private last: Uint8Array | null = null;
  count = 0;

  constructor(
    private readonly file: BoltFileWriter,
    /** The bucket's sequence (NextSequence counter), kept from the source bucket. */
    private readonly sequence: bigint = 0n,
  ) {}

  /** Adds a key; keys must come in strictly ascending byte order. Key and value are copied. */
  put(key: Uint8Array, value: Uint8Array, elementFlags = 0): void {
    if (key.length === 0) throw new K8sEncError('ERR_BBOLT_CORRUPT', 'bbolt keys cannot be empty');
    if (this.last !== null && compareBytes(this.last, key) >= 0) {
      throw new K8sEncError('ERR_BBOLT_CORRUPT', 'keys out of order while writing a bucket (the source bucket is not sorted?)');
    }
    const size = ELEMENT_SIZE + key.length + value.length;
    if (this.keys.length > 0 && this.leafBytes + size > this.file.pageSize) this.flushLeaf();
    this.last = key.slice();
    this.keys.push(this.last);
    this.values.push(value.slice());
    this.flags.push(elementFlags);
    this.leafBytes += size;
    if ((elementFlags & BUCKET_LEAF_FLAG) !== 0) this.hasNested = true;
    this.count++;
  }

  /** Adds a nested bucket from its finished writer. */
  putBucket(name: Uint8Array, bucket: BucketWriter): void {
    this.put(name, bucket.finish(), BUCKET_LEAF_FLAG);
  }

  /** Ends the bucket and returns its value for the parent: inline, or the root page id. */
  finish(): Uint8Array {
    const inline = this.leaves.length === 0 && !this.hasNested && this.leafBytes <= this.file.pageSize / 4;
    if (inline) {
      const value = new Uint8Array(BUCKET_HEADER_SIZE + this.leafBytes);
      const dv = new DataView(value.buffer);
      dv.setBigUint64(8, this.sequence, true);
      value.set(this.leafImage(this.leafBytes), BUCKET_HEADER_SIZE);
      return value;
    }
    const value = new Uint8Array(BUCKET_HEADER_SIZE);
    const dv = new DataView(value.buffer);
    dv.setBigUint64(0, BigInt(this.finishRoot()), true);
    dv.setBigUint64(8, this.sequence, true);
    return value;
  }

  /** Ends the bucket as a tree of pages (the root bucket, whose root the meta page names) and returns its root page. */
  finishRoot(): number {
    if (this.keys.length > 0 || this.leaves.length === 0) this.flushLeaf();
    let level = this.leaves;
    while (level.length > 1) level = this.branchLevel(level);
    return level[0]!.pgid;
  }

  private flushLeaf(): void {
    const image = this.file.newPage(this.leafBytes, LEAF_PAGE, this.keys.length);
    this.fillLeaf(image);
    this.leaves.push({ key: this.keys[0] ?? new Uint8Array(0), pgid: this.file.writePage(image) });
    this.keys = [];
    this.values = [];
    this.flags = [];
    this.leafBytes = PAGE_HEADER_SIZE;
  }

  /** The pending leaf as an inline page image (page id 0, no padding), as bbolt's node.write lays it out. */
  private leafImage(bytes: number): Uint8Array {
    const image = new Uint8Array(bytes);
    const dv = new DataView(image.buffer);
    dv.setUint16(8, LEAF_PAGE, true);
    dv.setUint16(10, this.keys.length, true);
    this.fillLeaf(image);
    return image;
  }

  /** Elements first, then each key and value in element order; `pos` counts from the element itself. */
  private fillLeaf(image: Uint8Array): void {
    const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
    let data = PAGE_HEADER_SIZE + this.keys.length * ELEMENT_SIZE;
    for (let i = 0; i < this.keys.length; i++) {
      const e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
      const key = this.keys[i]!;
      const value = this.values[i]!;
      dv.setUint32(e, this.flags[i]!, true);
      dv.setUint32(e + 4, data - e, true);
      dv.setUint32(e + 8, key.length, true);
      dv.setUint32(e + 12, value.length, true);
      image.set(key, data);
      image.set(value, data + key.length);
      data += key.length + value.length;
    }
  }

  /** Packs child references into branch pages (each child's first key) and returns the next level up. */
  private branchLevel(children: ChildRef[]): ChildRef[] {
    const up: ChildRef[] = [];
    for (let from = 0; from < children.length; ) {
      let bytes = PAGE_HEADER_SIZE;
      let to = from;
      // At least two children per branch (bbolt merges smaller ones), else as many as fit in a page.
      while (to < children.length) {
        const size = ELEMENT_SIZE + children[to]!.key.length;
        if (to - from >= 2 && bytes + size > this.file.pageSize) break;
        bytes += size;
        to++;
      }
      // Do not leave a lone last child for a branch of its own.
      if (children.length - to === 1 && to - from > 2) {
        to--;
        bytes -= ELEMENT_SIZE + children[to]!.key.length;
      }
      const image = this.file.newPage(bytes, BRANCH_PAGE, to - from);
      const dv = new DataView(image.buffer);
      let data = PAGE_HEADER_SIZE + (to - from) * ELEMENT_SIZE;
      for (let i = from; i < to; i++) {
        const e = PAGE_HEADER_SIZE + (i - from) * ELEMENT_SIZE;
        const { key, pgid } = children[i]!;
        dv.setUint32(e, data - e, true);
        dv.setUint32(e + 4, key.length, true);
        dv.setBigUint64(e + 8, BigInt(pgid), true);
        image.set(key, data);
        data += key.length;
      }
      up.push({ key: children[from]!.key, pgid: this.file.writePage(image) });
      from = to;
    }
    return up;
  }
}
