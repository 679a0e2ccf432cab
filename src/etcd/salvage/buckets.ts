/** The root bucket's `key` and `meta` buckets, read past damage, and root bucket pages found by scanning. */
import { compareBytes, utf8 } from '../../bytes.ts';
import type { BucketRef } from '../bbolt/db.ts';
import { u64AsNumber } from '../bbolt/meta.ts';
import { BUCKET_LEAF_FLAG, LEAF_PAGE, Node } from '../bbolt/node.ts';
import { parseRevisionKey } from '../mvcc/revision.ts';
import type { PageFile } from './pages.ts';
import { walkTree } from './walk.ts';

export interface BucketRefs {
  key: BucketRef | null;
  meta: BucketRef | null;
}

/** The `key` and `meta` buckets named in a root bucket tree, reading past damage. */
export function bucketsOf(pf: PageFile, root: BucketRef, problems: string[] = []): BucketRefs {
  const out: BucketRefs = { key: null, meta: null };
  walkTree(
    pf,
    root,
    {
      leaf(node) {
        for (let i = 0; i < node.count; i++) {
          try {
            if ((node.elementFlags(i) & BUCKET_LEAF_FLAG) === 0) continue;
            const name = node.key(i);
            const which = compareBytes(name, KEY) === 0 ? 'key' : compareBytes(name, META) === 0 ? 'meta' : null;
            if (which !== null) out[which] = bucketRef(pf, node, node.value(i));
          } catch {
            // a damaged element of the root bucket: others may still name the buckets
          }
        }
      },
      damaged(page, reason) {
        problems.push(`page ${page}: ${reason}`);
      },
    },
    new Set(),
  );
  return out;
}

const KEY = utf8('key');
const META = utf8('meta');

function bucketRef(pf: PageFile, holder: Node, value: Uint8Array): BucketRef | null {
  if (value.length < 16) return null;
  const root = u64AsNumber(new DataView(value.buffer, value.byteOffset, 16), 0, pf.le);
  if (root < 0) return null;
  if (root !== 0) return { root };
  try {
    return { root: 0, inline: Node.parse(holder.page, true, value.slice(16), pf.le) };
  } catch {
    return null;
  }
}

/** Leaf pages that name a `key` bucket: root bucket pages, the current one and freed old copies. */
export function rootCandidates(pf: PageFile): number[] {
  const out: number[] = [];
  for (let p = 2; p < pf.pageCount; p++) {
    const h = pf.header(p);
    if (h === null || h.id !== p || h.flags !== LEAF_PAGE || h.count === 0 || h.count > 64) continue;
    if (bucketsOf(pf, { root: p }).key !== null) out.push(p);
  }
  return out;
}

/**
 * etcd's finishedCompactRev (0 when it never compacted), or null when the meta bucket cannot be
 * read. `name` 'scheduledCompactRev': the compaction etcd started (it deletes in batches, and writes
 * finishedCompactRev when done).
 */
export function compactRevisionOf(
  pf: PageFile,
  meta: BucketRef | null,
  name: 'finishedCompactRev' | 'scheduledCompactRev' = 'finishedCompactRev',
): number | null {
  if (meta === null) return null;
  let found: number | null = 0;
  const want = utf8(name);
  walkTree(
    pf,
    meta,
    {
      leaf(node) {
        for (let i = 0; i < node.count; i++) {
          try {
            if (compareBytes(node.key(i), want) === 0) found = parseRevisionKey(node.value(i))?.main ?? found;
          } catch {
            found = null; // a damaged element could be the one
          }
        }
      },
      damaged() {
        found = null;
      },
    },
    new Set(),
  );
  return found;
}
