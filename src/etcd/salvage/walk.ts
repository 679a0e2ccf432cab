/**
 * A walk over a bbolt tree that goes on past damage: an unreadable child is reported with the key
 * range its parent says it held (bbolt's branch key is the first key of the child, so a child
 * holds keys from its own branch key up to the next one), and the walk continues with its
 * siblings.
 */
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
  leaf(node: Node, bounds: KeyBounds, cut: string | undefined, zeroed?: [number, number][]): void;
  damaged(page: number, reason: string, bounds: KeyBounds): void;
}

/** `reached` collects the tree pages the walk read (branches and leaves), so a page scan can skip them. */
export function walkTree(pf: PageFile, ref: BucketRef, visit: TreeVisitor, reached: Set<number>): void {
  const all: KeyBounds = { from: null, to: null };
  if (ref.inline !== undefined) return visit.leaf(ref.inline, all, undefined);
  const stack: { pgid: number; bounds: KeyBounds; depth: number }[] = [{ pgid: ref.root, bounds: all, depth: 0 }];
  while (stack.length > 0) {
    const { pgid, bounds, depth } = stack.pop()!;
    if (reached.has(pgid)) {
      visit.damaged(pgid, 'reached twice (a loop, or a wrong child pointer)', bounds);
      continue;
    }
    const r = pf.read(pgid);
    if (typeof r === 'string') {
      visit.damaged(pgid, r, bounds);
      continue;
    }
    const { node, cut, zeroed } = r;
    // Only the page itself: a damaged overflow count must not make its neighbours look visited.
    reached.add(pgid);
    if (node.isLeaf) {
      visit.leaf(node, bounds, cut, zeroed);
      continue;
    }
    if (depth >= MAX_DEPTH) {
      visit.damaged(pgid, `tree deeper than ${MAX_DEPTH} levels`, bounds);
      continue;
    }
    if (cut !== undefined) visit.damaged(pgid, `branch page: ${cut}`, bounds);
    // Children in reverse onto the stack, so they are walked in key order.
    const keys = Array.from({ length: node.count }, (_, i) => safeKey(node, i));
    for (let i = node.count - 1; i >= 0; i--) {
      const from = keys[i] ?? previousKey(keys, i) ?? bounds.from;
      const to = nextKey(keys, i) ?? bounds.to;
      let child: number;
      try {
        child = node.child(i);
      } catch {
        visit.damaged(pgid, `branch element ${i} points to an impossible page id`, { from, to });
        continue;
      }
      stack.push({ pgid: child, bounds: { from, to }, depth: depth + 1 });
    }
  }
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
