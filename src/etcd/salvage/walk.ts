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

/**
 * `reached` collects the tree pages the walk read (branches and leaves), so a page scan can skip them.
 * `validKey`: the shape every key of this tree has; a branch key without it is not trusted (its
 * child's range is bounded by its neighbours' keys), as one out of order is not.
 */
export function walkTree(
  pf: PageFile,
  ref: BucketRef,
  visit: TreeVisitor,
  reached: Set<number>,
  validKey: (k: Uint8Array) => boolean = () => true,
): void {
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
      Array.from({ length: node.count }, (_, i) => safeKey(node, i, validKey)),
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
 * The keys that can be trusted: those in every longest run, in element order, that rises strictly
 * and lies inside the parent's bounds (bbolt keeps a page's keys sorted). A key a flipped byte moved
 * out of order becomes null, and so do both of two keys when either could be the moved one (a run
 * of the same length goes through each); a branch key that is null bounds its child's range by its
 * neighbours' keys instead, a leaf element that is null is not read.
 */
export function orderedKeys(keys: (Uint8Array | null)[], bounds: KeyBounds): (Uint8Array | null)[] {
  const inside = (k: Uint8Array | null | undefined): k is Uint8Array =>
    k !== null &&
    k !== undefined &&
    (bounds.from === null || compareBytes(k, bounds.from) >= 0) &&
    (bounds.to === null || compareBytes(k, bounds.to) < 0);
  const order = keys.map((_, i) => i).filter((i) => inside(keys[i]));
  // The longest rising run ending at each key, and (over the keys in reverse, falling) starting at it.
  const ending = runLengths(order, (a, b) => compareBytes(keys[a]!, keys[b]!));
  const starting = runLengths([...order].reverse(), (a, b) => compareBytes(keys[b]!, keys[a]!));
  let longest = 0;
  for (const i of order) longest = Math.max(longest, ending.get(i)!);
  // A key on some longest run is on every one when no other such key can take its place in the run.
  const onSome = order.filter((i) => ending.get(i)! + starting.get(i)! - 1 === longest);
  const atPlace = new Map<number, number>();
  for (const i of onSome) atPlace.set(ending.get(i)!, (atPlace.get(ending.get(i)!) ?? 0) + 1);
  const out: (Uint8Array | null)[] = keys.map(() => null);
  for (const i of onSome) if (atPlace.get(ending.get(i)!) === 1) out[i] = keys[i]!;
  return out;
}

/** For each of `items`, in order: the longest run ending at it that rises strictly by `compare` (patience sorting). */
function runLengths(items: number[], compare: (a: number, b: number) => number): Map<number, number> {
  const tails: number[] = [];
  const out = new Map<number, number>();
  for (const item of items) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(tails[mid]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    tails[lo] = item;
    out.set(item, lo + 1);
  }
  return out;
}

function safeKey(node: Node, i: number, validKey: (k: Uint8Array) => boolean): Uint8Array | null {
  try {
    const k = node.key(i);
    return validKey(k) ? k : null;
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
