import { equalBytes, fromUtf8, startsWith } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import type { BoltDb, BucketRef } from '../bbolt/db.ts';
import { BUCKET_LEAF_FLAG, type Node } from '../bbolt/node.ts';
import { KeyValueDecodeError, decodeKeyValue } from './keyvalue.ts';
import { be64, isRevisionKey } from './revision.ts';

/** Orphans kept to report; more are counted. */
export const MAX_ORPHANS = 100;

/**
 * Pass 1 of a scan: per matching etcd key, the newest revision <= the wanted one and where it lies.
 * Stored as parallel typed arrays indexed by slot (not an object per key) so that millions of keys
 * cost O(keys × (key length + ~40 bytes)) and almost no garbage-collector work.
 */
export class KeyIndex {
  /** etcd key as a latin1 string (one char per byte, so string order is byte order) → slot. */
  readonly slots = new Map<string, number>();
  main = new Float64Array(1024);
  sub = new Float64Array(1024);
  page = new Uint32Array(1024);
  index = new Uint16Array(1024);
  valueSize = new Uint32Array(1024);
  /** The value's first byte in the file, or -1 for an inline bucket (read through its page). */
  offset = new Float64Array(1024);
  tombstone = new Uint8Array(1024);
  /** A slot whose newest entry did not decode; reported for that key. */
  readonly errors = new Map<number, K8sEncError>();
  /** Entries that belong to no known key (wrong revision key shape, undecodable key): reported first. */
  readonly orphans: K8sEncError[] = [];
  /** Orphans beyond the first MAX_ORPHANS, counted rather than kept so corruption cannot exhaust memory. */
  droppedOrphans = 0;

  orphan(e: K8sEncError): void {
    if (this.orphans.length < MAX_ORPHANS) this.orphans.push(e);
    else this.droppedOrphans++;
  }

  slotFor(name: string): { slot: number; fresh: boolean } {
    const slot = this.slots.get(name);
    if (slot !== undefined) return { slot, fresh: false };
    const n = this.slots.size;
    if (n === this.main.length) this.grow();
    this.slots.set(name, n);
    return { slot: n, fresh: true };
  }

  private grow(): void {
    const g = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.main = g(this.main);
    this.sub = g(this.sub);
    this.page = g(this.page);
    this.index = g(this.index);
    this.valueSize = g(this.valueSize);
    this.offset = g(this.offset);
    this.tombstone = g(this.tombstone);
  }
}

export function latin1(b: Uint8Array): string {
  // fromCharCode avoids a Buffer object per key; etcd keys are short, far below the argument limit.
  if (b.length <= 4096) return String.fromCharCode.apply(null, b as unknown as number[]);
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

export function fromLatin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * One walk over the `key` bucket (revision order). Values are not kept: pass 2 reads them again in
 * key order. Newer is decided by comparing revisions rather than by bucket order, so a mis-ordered
 * corrupt file cannot resurrect an older value.
 */
export function indexKeyBucket(
  db: BoltDb,
  bucket: BucketRef,
  want: { prefix: Uint8Array; exact: boolean; revision: number },
  /** Only these subtrees (children of the bucket's root page), for pass 1 in shares (plan-shares.ts). */
  subtrees?: readonly number[],
): KeyIndex {
  const out = new KeyIndex();
  const pageSize = db.meta.pageSize;
  const visit = (node: Node) => {
    for (let i = 0; i < node.count; i++) indexElement(out, node, i, want, pageSize);
  };
  if (subtrees === undefined) db.forEachLeaf(bucket, visit);
  else for (const root of subtrees) db.forEachLeaf({ root }, visit);
  return out;
}

function indexElement(
  out: KeyIndex,
  node: Node,
  i: number,
  want: { prefix: Uint8Array; exact: boolean; revision: number },
  pageSize: number,
): void {
  const page = node.page;
  if ((node.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0) {
    out.orphan(new K8sEncError('ERR_ETCD_CORRUPT', `page ${page}: key bucket element ${i} is a nested bucket`, { page }));
    return;
  }
  const rk = node.key(i);
  if (!isRevisionKey(rk)) {
    const msg = `page ${page}: key bucket element ${i} has a ${rk.length}-byte key, want a 17-byte revision or an 18-byte tombstone`;
    out.orphan(new K8sEncError('ERR_ETCD_CORRUPT', msg, { page }));
    return;
  }
  const main = be64(rk, 0);
  if (want.revision > 0 && main > want.revision) return;
  const sub = be64(rk, 9);
  const value = node.value(i);
  let key = leadingKeyField(value);
  let error: K8sEncError | undefined;
  if (key === null) {
    try {
      key = decodeKeyValue(value).key;
    } catch (e) {
      if (!(e instanceof KeyValueDecodeError)) throw e;
      error = new K8sEncError('ERR_ETCD_CORRUPT', `cannot decode mvccpb.KeyValue of revision ${main}_${sub}: ${e.message}`, { page });
      if (e.key === undefined) return out.orphan(error);
      key = e.key;
    }
  }
  if (want.exact ? !equalBytes(key, want.prefix) : !startsWith(key, want.prefix)) return;
  const { slot, fresh } = out.slotFor(latin1(key));
  if (!fresh && (out.main[slot]! > main || (out.main[slot] === main && out.sub[slot]! > sub))) return;
  out.main[slot] = main;
  out.sub[slot] = sub;
  out.page[slot] = page;
  out.index[slot] = i;
  out.valueSize[slot] = value.length;
  out.offset[slot] = node.inline ? -1 : page * pageSize + node.valueStart(i);
  out.tombstone[slot] = rk.length === 18 ? 1 : 0;
  if (error !== undefined) out.errors.set(slot, error.with({ etcdKey: fromUtf8(key) }));
  else out.errors.delete(slot);
}

/**
 * etcd always writes `key` first: read just that field (tag 0x0a, short length) without a full
 * decode; null sends the entry through the full decoder. Pass 2 decodes it fully anyway.
 */
function leadingKeyField(v: Uint8Array): Uint8Array | null {
  if (v.length < 2 || v[0] !== 0x0a) return null;
  let len = v[1]!;
  let at = 2;
  if (len >= 0x80) {
    if (v.length < 3 || v[2]! >= 0x80) return null;
    len = (len & 0x7f) | (v[2]! << 7);
    at = 3;
  }
  return at + len <= v.length ? v.subarray(at, at + len) : null;
}
