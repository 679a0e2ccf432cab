import { compareBytes } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import type { BlockFile } from './block-file.ts';
import { readMeta, u64AsNumber, type Meta } from './meta.ts';
import { BUCKET_LEAF_FLAG, Node, PAGE_HEADER_SIZE, corrupt } from './node.ts';

/** A bucket's tree: a root page, or (root 0) a leaf page image stored inside the parent's value. */
export type BucketRef = { root: number; inline?: Node };

/** bbolt B+trees are shallow (a few levels even for 8 GiB); deeper means a cycle in a corrupt file. */
const MAX_DEPTH = 64;

/**
 * A read-only bbolt database over a file, read page by page on demand. Only trees reachable from
 * the meta's root are ever read: freed pages still hold deleted data that is not current state.
 */
export class BoltDb {
  readonly meta: Meta;

  constructor(
    private readonly file: BlockFile,
    /** Bytes of the file that belong to the database (a snapshot's sha256 trailer excluded). */
    readonly dataSize: number,
  ) {
    this.meta = readMeta(file, dataSize);
  }

  get root(): BucketRef {
    return { root: this.meta.rootPgid };
  }

  /**
   * The branch or leaf node at `pgid`, validated. A leaf is a view on the file's block cache, valid
   * until the next read; a branch is a copy.
   * `wholeBlock` false for scattered reads, where reading the surrounding block would be waste.
   */
  node(pgid: number, wholeBlock = true): Node {
    const { pageSize, pgid: highWater, littleEndian } = this.meta;
    if (pgid < 2 || pgid >= highWater) {
      throw corrupt(pgid, `page ${pgid} is out of range: the database has pages 2..${highWater - 1}`);
    }
    const start = pgid * pageSize;
    if (start + pageSize > this.dataSize) {
      throw corrupt(pgid, `page ${pgid} lies beyond the end of the file (${this.dataSize} bytes): truncated file?`);
    }
    let buf = this.file.read(start, pageSize, wholeBlock);
    const dv = new DataView(buf.buffer, buf.byteOffset, PAGE_HEADER_SIZE);
    const id = u64AsNumber(dv, 0, littleEndian);
    if (id !== pgid) throw corrupt(pgid, `page ${pgid}: header says page ${id}`);
    const overflow = dv.getUint32(12, littleEndian);
    if (overflow > 0) {
      if (pgid + overflow >= highWater || start + (1 + overflow) * pageSize > this.dataSize) {
        throw corrupt(pgid, `page ${pgid}: ${overflow} overflow pages run past the end of the database`);
      }
      buf = this.file.read(start, (1 + overflow) * pageSize, wholeBlock);
    }
    // A branch outlives the reads of its children (a view would see its block reused): copy it. Few and small.
    const node = Node.parse(pgid, false, buf, littleEndian);
    return node.isLeaf ? node : Node.parse(pgid, false, buf.slice(), littleEndian);
  }

  /**
   * `into.length` bytes of the database at `offset`, read straight into `into` (no cache): for
   * values whose place pass 1 already found. Throws ERR_BBOLT_CORRUPT past the database's end.
   */
  readAt(offset: number, into: Uint8Array): Uint8Array {
    if (offset < 0 || offset + into.length > this.dataSize) {
      const page = Math.floor(offset / this.meta.pageSize);
      throw corrupt(page, `page ${page}: ${into.length} bytes at ${offset} lie beyond the end of the database (${this.dataSize} bytes)`);
    }
    return this.file.readExactly(into, offset);
  }

  /** Lets a mapped file drop the pages touched so far (see BlockFile.dropTouched): call between batches. */
  dropTouched(): void {
    this.file.dropTouched();
  }

  /** A lasting view of the database bytes at `offset` when the file is mapped (see BlockFile.view), else null. */
  viewAt(offset: number, length: number): Uint8Array | null {
    return offset >= 0 && offset + length <= this.dataSize ? this.file.view(offset, length) : null;
  }

  private top(b: BucketRef): Node {
    return b.inline ?? this.node(b.root);
  }

  /** The nested bucket `name` inside `parent`, or null when there is none. */
  bucket(parent: BucketRef, name: Uint8Array): BucketRef | null {
    let node = this.top(parent);
    for (let depth = 0; !node.isLeaf; depth++) {
      if (depth > MAX_DEPTH) throw corrupt(node.page, `page ${node.page}: tree deeper than ${MAX_DEPTH} levels (loop?)`);
      // The child whose first key is the last one <= name, as bbolt's cursor search picks it.
      let i = 0;
      while (i + 1 < node.count && compareBytes(node.key(i + 1), name) <= 0) i++;
      node = this.node(node.child(i));
    }
    for (let i = 0; i < node.count; i++) {
      if (compareBytes(node.key(i), name) !== 0) continue;
      if ((node.elementFlags(i) & BUCKET_LEAF_FLAG) === 0) return null;
      return this.bucketFromValue(node, node.value(i));
    }
    return null;
  }

  bucketFromValue(holder: Node, value: Uint8Array): BucketRef {
    if (value.length < 16) throw corrupt(holder.page, `page ${holder.page}: bucket value of ${value.length} bytes`);
    const root = u64AsNumber(new DataView(value.buffer, value.byteOffset, 16), 0, this.meta.littleEndian);
    if (root !== 0) return { root };
    return { root: 0, inline: Node.parse(holder.page, true, value.slice(16), this.meta.littleEndian) };
  }

  /**
   * Calls `visit` with every leaf of the bucket in key order. A bitmap of visited pages (one bit
   * per page of the file: 256 KiB for 8 GiB of 4 KiB pages) turns cycles into an error.
   */
  forEachLeaf(b: BucketRef, visit: (leaf: Node) => void): void {
    const top = this.top(b);
    if (top.isLeaf) return visit(top);
    const seen = new Uint8Array(Math.ceil(Math.min(this.meta.pgid, this.dataSize / this.meta.pageSize) / 8) + 1);
    const mark = (n: Node): void => {
      const bit = 1 << (n.page & 7);
      if ((seen[n.page >> 3]! & bit) !== 0) throw corrupt(n.page, `page ${n.page} is reached twice: loop detected`);
      seen[n.page >> 3]! |= bit;
    };
    mark(top);
    const stack: { node: Node; next: number }[] = [{ node: top, next: 0 }];
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      if (frame.next >= frame.node.count) {
        stack.pop();
        continue;
      }
      const child = this.node(frame.node.child(frame.next++));
      mark(child);
      if (child.isLeaf) visit(child);
      else if (stack.length >= MAX_DEPTH) throw corrupt(child.page, `page ${child.page}: tree deeper than ${MAX_DEPTH} levels`);
      else stack.push({ node: child, next: 0 });
    }
  }

  /** The last leaf element of the bucket (its greatest key), or null when the bucket is empty. */
  last(b: BucketRef): { node: Node; index: number } | null {
    let node = this.top(b);
    for (let depth = 0; !node.isLeaf; depth++) {
      if (depth > MAX_DEPTH) throw corrupt(node.page, `page ${node.page}: tree deeper than ${MAX_DEPTH} levels (loop?)`);
      node = this.node(node.child(node.count - 1));
    }
    // An empty leaf can only be the root: bbolt rebalances empty non-root leaves away.
    return node.count === 0 ? null : { node, index: node.count - 1 };
  }
}

export function missingBucket(name: string): K8sEncError {
  return new K8sEncError('ERR_ETCD_CORRUPT', `bucket ${JSON.stringify(name)} not found: not an etcd database?`);
}
