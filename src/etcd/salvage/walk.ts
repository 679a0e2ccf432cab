/**
 * A walk over a bbolt tree that goes on past damage: an unreadable child is reported with the key
 * range its parent says it held (bbolt's branch key is the first key of the child, so a child
 * holds keys from its own branch key up to the next one), and the walk continues with its
 * siblings.
 */
import { compareBytes } from '../../bytes.ts';
import type { BucketRef } from '../bbolt/db.ts';
import type { Node } from '../bbolt/node.ts';
import type { PageFile } from './pages.ts';

/** bbolt trees are a few levels deep; deeper means a loop in a damaged file. */
const MAX_DEPTH = 64;

/** Key bounds of a subtree: from inclusive, to exclusive; null = unbounded. */
export interface KeyBounds {
  from: Uint8Array | null;
  to: Uint8Array | null;
}

export interface TreeVisitor {
  /** `wide`: the bounds for what its unreadable elements could have held (see walkTree's `wide`). */
  leaf(node: Node, bounds: KeyBounds, cut: string | undefined, zeroed: [number, number][] | undefined, wide: KeyBounds): void;
  damaged(page: number, reason: string, bounds: KeyBounds): void;
}

/** `reached` collects the tree pages the walk read (branches and leaves), so a page scan can skip them. */
export function walkTree(pf: PageFile, ref: BucketRef, visit: TreeVisitor, reached: Set<number>): void {
  const all: KeyBounds = { from: null, to: null };
  if (ref.inline !== undefined) return visit.leaf(ref.inline, all, undefined, undefined, all);
  // `wide`: the bounds a child that cannot be read (or a leaf's unreadable first elements) is
  // reported with. Its own branch key may be damaged too (a flipped byte that keeps the keys in
  // order), so its range starts at the previous sibling's key: that sibling's revisions are read
  // from it anyway.
  const stack: { pgid: number; bounds: KeyBounds; wide: KeyBounds; depth: number }[] = [
    { pgid: ref.root, bounds: all, wide: all, depth: 0 },
  ];
  while (stack.length > 0) {
    const { pgid, bounds, wide, depth } = stack.pop()!;
    if (reached.has(pgid)) {
      visit.damaged(pgid, 'reached twice (a loop, or a wrong child pointer)', wide);
      continue;
    }
    const r = pf.read(pgid);
    if (typeof r === 'string') {
      visit.damaged(pgid, r, wide);
      continue;
    }
    const { node, cut, zeroed } = r;
    // Only the page itself: a damaged overflow count must not make its neighbours look visited.
    reached.add(pgid);
    if (node.isLeaf) {
      visit.leaf(node, bounds, cut, zeroed, wide);
      continue;
    }
    if (depth >= MAX_DEPTH) {
      visit.damaged(pgid, `tree deeper than ${MAX_DEPTH} levels`, bounds);
      continue;
    }
    if (cut !== undefined) visit.damaged(pgid, `branch page: ${cut}`, bounds);
    // Children in reverse onto the stack, so they are walked in key order.
    const keys = orderedKeys(
      Array.from({ length: node.count }, (_, i) => safeKey(node, i)),
      bounds,
    );
    for (let i = node.count - 1; i >= 0; i--) {
      const from = keys[i] ?? previousKey(keys, i) ?? bounds.from;
      const to = nextKey(keys, i) ?? bounds.to;
      const childWide = { from: previousKey(keys, i) ?? bounds.from, to };
      let child: number;
      try {
        child = node.child(i);
      } catch {
        visit.damaged(pgid, `branch element ${i} points to an impossible page id`, childWide);
        continue;
      }
      stack.push({ pgid: child, bounds: { from, to }, wide: childWide, depth: depth + 1 });
    }
  }
}

/**
 * The branch keys that can be trusted: the longest run, in element order, that rises strictly and
 * lies inside the parent's bounds (bbolt keeps them sorted). A key a flipped byte moved out of
 * order becomes null, so its child's range is bounded by its neighbours' keys instead.
 */
export function orderedKeys(keys: (Uint8Array | null)[], bounds: KeyBounds): (Uint8Array | null)[] {
  const inside = (k: Uint8Array) =>
    (bounds.from === null || compareBytes(k, bounds.from) >= 0) && (bounds.to === null || compareBytes(k, bounds.to) < 0);
  // Longest strictly rising subsequence (patience sorting): tails[n] ends the best run of length n + 1.
  const tails: number[] = [];
  const before = new Int32Array(keys.length).fill(-1);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === null || k === undefined || !inside(k)) continue;
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBytes(keys[tails[mid]!]!, k) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) before[i] = tails[lo - 1]!;
    tails[lo] = i;
  }
  const out: (Uint8Array | null)[] = keys.map(() => null);
  for (let i = tails.length > 0 ? tails[tails.length - 1]! : -1; i >= 0; i = before[i]!) out[i] = keys[i]!;
  return out;
}

function safeKey(node: Node, i: number): Uint8Array | null {
  try {
    return node.key(i);
  } catch {
    return null;
  }
}

function previousKey(keys: (Uint8Array | null)[], i: number): Uint8Array | null {
  for (let j = i - 1; j >= 0; j--) if (keys[j] !== null) return keys[j]!;
  return null;
}

function nextKey(keys: (Uint8Array | null)[], i: number): Uint8Array | null {
  for (let j = i + 1; j < keys.length; j++) if (keys[j] !== null) return keys[j]!;
  return null;
}
