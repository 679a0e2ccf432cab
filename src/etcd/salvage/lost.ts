/**
 * Revisions the `key` bucket's tree should reach but does not, though no page of it failed to read:
 * a damaged pointer (the bucket's root, or a branch's child) that leads to another page which is
 * itself intact, so the walk sees a whole, smaller tree.
 *
 * etcd removes a key bucket entry only by compaction (at or below the compaction revision), so in
 * an undamaged file an entry any other page holds above the compaction, and older than the tree's
 * newest revision, is in the tree too (old copies of leaves hold entries still there). One the tree
 * lacks shows that the tree lost the part between its neighbours in the tree.
 *
 * Entries newer than the tree's newest are no such proof: pages bbolt freed before `etcdctl snapshot
 * save` began may be rewritten by transactions etcd commits while the file is copied. They count
 * only when the tree is shown to have lost part of itself as above, or when a branch no tree
 * reaches lists the bucket's root page as its child: the root pointer then leads into a larger
 * tree (a later transaction's tree never lists it, as every write to a bucket puts its root on a
 * new page).
 */
import { compareRev, type KeyEntry, type Rev } from './key-entries.ts';
import { inDamaged, type DamagedRange } from './ranges.ts';

/**
 * Damaged ranges for what the tree lost: `tree` its entries, `others` the entries of pages it does
 * not reach, `compacted` the revision at or below which compaction may have removed entries,
 * `rootIsChild` whether a branch the tree does not reach lists its root page, `known` the ranges
 * already reported (entries inside them are accounted for).
 */
export function lostFromTree(
  tree: KeyEntry[],
  others: KeyEntry[],
  compacted: number,
  rootIsChild: boolean,
  known: DamagedRange[],
): DamagedRange[] {
  const held = new Set(tree.map((e) => `${e.main}_${e.sub}`));
  const sorted: Rev[] = tree.map((e) => ({ main: e.main, sub: e.sub })).sort(compareRev);
  const newest = sorted[sorted.length - 1];
  const lost = others.filter((e) => e.main > compacted && !held.has(`${e.main}_${e.sub}`) && !inDamaged(e, known));
  const below = lost.filter((e) => newest !== undefined && compareRev(e, newest) < 0);
  const above = lost.filter((e) => newest === undefined || compareRev(e, newest) > 0);
  const out: DamagedRange[] = [];
  // One range per gap between neighbouring tree entries: the part of the tree that held them.
  const gaps = new Map<number, KeyEntry[]>();
  for (const e of below) {
    const at = firstAfter(sorted, e);
    const gap = gaps.get(at);
    if (gap === undefined) gaps.set(at, [e]);
    else gap.push(e);
  }
  for (const [at, gap] of [...gaps].sort((a, b) => a[0] - b[0])) {
    const prev = sorted[at - 1];
    out.push({
      page: -1,
      reason: `its tree does not reach revision${gap.length === 1 ? '' : 's'} ${list(gap)}, which compaction did not remove (a damaged pointer?)`,
      from: prev === undefined ? null : { main: prev.main, sub: prev.sub + 1 },
      to: sorted[at]!,
    });
  }
  if (above.length > 0 && (out.length > 0 || rootIsChild)) {
    const why = out.length > 0 ? 'its tree is not whole' : 'a branch it does not reach lists its root page';
    out.push({
      page: -1,
      reason: `revision${above.length === 1 ? '' : 's'} ${list(above)}, newer than its tree's newest, and ${why}`,
      from: newest === undefined ? null : { main: newest.main, sub: newest.sub + 1 },
      to: null,
    });
  }
  return out;
}

/** The index of the first of `sorted` after `r` (sorted.length when none is). */
function firstAfter(sorted: Rev[], r: Rev): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (compareRev(sorted[mid]!, r) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `12_0 on page 7, 13_0 on page 7 and 4 more`, for a reason. */
function list(entries: KeyEntry[]): string {
  const shown = [...entries]
    .sort(compareRev)
    .slice(0, 3)
    .map((e) => `${e.main}_${e.sub} on page ${e.page}`);
  return `${shown.join(', ')}${entries.length > 3 ? ` and ${entries.length - 3} more` : ''}`;
}
