/**
 * The shape check of a `key` bucket leaf: an element counts only if its key is a revision key
 * (BE64 main ‖ '_' ‖ BE64 sub, plus 't' for a tombstone) and its value decodes as the
 * mvccpb.KeyValue etcd writes for it: a put carries mod_revision = main, 1 ≤ create_revision ≤
 * main and version ≥ 1; a tombstone carries the key alone. Anything else on a page is not trusted.
 */
import { BUCKET_LEAF_FLAG, type Node } from '../bbolt/node.ts';
import { decodeKeyValue } from '../mvcc/keyvalue.ts';
import { latin1 } from '../mvcc/key-index.ts';
import { be64, isRevisionKey } from '../mvcc/revision.ts';
import { orderedKeys } from './walk.ts';

/** A revision as (main, sub); ordered by main, then sub. */
export interface Rev {
  main: number;
  sub: number;
}

export function compareRev(a: Rev, b: Rev): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export interface KeyEntry extends Rev {
  /** The etcd key, latin1 (one char per byte). */
  name: string;
  tombstone: boolean;
  page: number;
  index: number;
  /** mvccpb.KeyValue.create_revision (0 for a tombstone). */
  createRevision: number;
  /** FNV-1a of the stored KeyValue: two copies of one revision that differ show damage in one of them. */
  hash: number;
}

function fnv1a32(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/** The element's revision key as a Rev, or null when it is not one. */
export function revOfKey(k: Uint8Array): Rev | null {
  return isRevisionKey(k) ? { main: be64(k, 0), sub: be64(k, 9) } : null;
}

/** Element i of a leaf as a key bucket entry, or null when it fails the shape check or its value reaches into `zeroed` bytes. */
export function keyEntryAt(node: Node, i: number, zeroed: readonly [number, number][] = []): KeyEntry | null {
  try {
    if ((node.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0) return null;
    const k = node.key(i);
    const rev = revOfKey(k);
    if (rev === null) return null;
    const stored = node.value(i);
    const at = stored.byteOffset - node.buf.byteOffset;
    if (zeroed.some(([from, to]) => at < to && at + stored.length > from)) return null;
    const kv = decodeKeyValue(stored);
    if (kv.key.length === 0) return null;
    const tombstone = k.length === 18;
    if (
      tombstone
        ? kv.modRevision !== 0 && kv.modRevision !== rev.main
        : kv.modRevision !== rev.main || kv.createRevision < 1 || kv.createRevision > rev.main || kv.version < 1
    ) {
      return null;
    }
    return { ...rev, name: latin1(kv.key), tombstone, page: node.page, index: i, createRevision: kv.createRevision, hash: fnv1a32(stored) };
  } catch {
    // Out-of-bounds element or undecodable value: this element is damaged, its neighbours may not be.
    return null;
  }
}

/**
 * The elements of `node` that pass the shape check and lie in key order, and the indexes of those
 * that do not. bbolt keeps a leaf's keys sorted: an element a flipped byte moved out of order holds
 * a revision (and perhaps a key) that is not its own, so it counts as unreadable too.
 */
export function keyEntries(node: Node, zeroed?: readonly [number, number][]): { entries: KeyEntry[]; broken: number[] } {
  const entries: KeyEntry[] = [];
  const broken: number[] = [];
  if (!node.isLeaf) return { entries, broken };
  const read = Array.from({ length: node.count }, (_, i) => keyEntryAt(node, i, zeroed));
  const inOrder = orderedKeys(
    read.map((e, i) => (e === null ? null : node.key(i))),
    { from: null, to: null },
  );
  for (let i = 0; i < node.count; i++) {
    const e = read[i]!;
    if (e === null || inOrder[i] === null) broken.push(i);
    else entries.push(e);
  }
  return { entries, broken };
}
