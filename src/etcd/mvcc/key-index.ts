import { equalBytes, fromUtf8, startsWith } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import type { BoltDb, BucketRef } from '../bbolt/db.ts';
import { BUCKET_LEAF_FLAG } from '../bbolt/node.ts';
import { KeyValueDecodeError, decodeKeyValue } from './keyvalue.ts';
import { parseRevisionKey } from './revision.ts';

/** Where the newest wanted revision of one etcd key lives; small, so millions of keys fit. */
export interface LatestRevision {
  main: number;
  sub: number;
  tombstone: boolean;
  page: number;
  index: number;
  valueSize: number;
  /** The entry's value did not decode; reported for this key if no newer revision replaces it. */
  error?: K8sEncError;
}

export interface KeyIndex {
  /** etcd key as a latin1 string (one char per byte, so string order is byte order) → its newest entry. */
  latest: Map<string, LatestRevision>;
  /** Entries that belong to no known key (wrong revision key shape, undecodable key): reported first. */
  orphans: K8sEncError[];
  /** Orphans beyond the first MAX_ORPHANS, counted rather than kept so corruption cannot exhaust memory. */
  droppedOrphans: number;
}

const MAX_ORPHANS = 100;

export function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

export function fromLatin1(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

/**
 * Pass 1 of a scan: one walk over the `key` bucket (revision order) keeping, per matching etcd key,
 * only the newest revision <= `revision` (0 = latest) and where it is. Memory is O(matching keys ×
 * (key length + ~100 bytes)); values are not kept, pass 2 reads them again in key order.
 */
export function indexKeyBucket(
  db: BoltDb,
  bucket: BucketRef,
  want: { prefix: Uint8Array; exact: boolean; revision: number },
): KeyIndex {
  const out: KeyIndex = { latest: new Map(), orphans: [], droppedOrphans: 0 };
  const orphan = (e: K8sEncError): void => {
    if (out.orphans.length < MAX_ORPHANS) out.orphans.push(e);
    else out.droppedOrphans++;
  };
  db.forEachLeaf(bucket, (node) => {
    for (let i = 0; i < node.count; i++) {
      const page = node.page;
      if ((node.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0) {
        orphan(new K8sEncError('ERR_ETCD_CORRUPT', `page ${page}: key bucket element ${i} is a nested bucket`, { page }));
        continue;
      }
      const rk = node.key(i);
      const rev = parseRevisionKey(rk);
      if (rev === null) {
        const msg = `page ${page}: key bucket element ${i} has a ${rk.length}-byte key, want a 17-byte revision or an 18-byte tombstone`;
        orphan(new K8sEncError('ERR_ETCD_CORRUPT', msg, { page }));
        continue;
      }
      if (want.revision > 0 && rev.main > want.revision) continue;
      const value = node.value(i);
      let key: Uint8Array;
      let error: K8sEncError | undefined;
      try {
        key = decodeKeyValue(value).key;
      } catch (e) {
        if (!(e instanceof KeyValueDecodeError)) throw e;
        const msg = `cannot decode mvccpb.KeyValue of revision ${rev.main}_${rev.sub}: ${e.message}`;
        error = new K8sEncError('ERR_ETCD_CORRUPT', msg, { page });
        if (e.key === undefined) {
          orphan(error);
          continue;
        }
        key = e.key;
      }
      if (want.exact ? !equalBytes(key, want.prefix) : !startsWith(key, want.prefix)) continue;
      const name = latin1(key);
      const prev = out.latest.get(name);
      // Compare revisions rather than trust bucket order, so a mis-ordered corrupt file cannot
      // resurrect an older value.
      if (prev !== undefined && (prev.main > rev.main || (prev.main === rev.main && prev.sub > rev.sub))) continue;
      const entry: LatestRevision = { ...rev, page, index: i, valueSize: value.length };
      if (error !== undefined) entry.error = error.with({ etcdKey: fromUtf8(key) });
      out.latest.set(name, entry);
    }
  });
  return out;
}
