/**
 * What a damaged etcd database still holds: every `key` bucket entry the tree still reaches, plus,
 * for the revision ranges of the pages it cannot read (and those other pages show it lost, see
 * lost.ts), entries on other pages that pass the key bucket shape check (leaves cut off from the
 * tree, or old copies bbolt freed: the same revision has the same bytes wherever it lies, so a copy
 * is used only for a revision nothing else has).
 */
import { K8sEncError } from '../../errors.ts';
import type { BucketRef } from '../bbolt/db.ts';
import type { BlockFile } from '../bbolt/block-file.ts';
import { readMeta, type Meta } from '../bbolt/meta.ts';
import { BRANCH_PAGE, LEAF_PAGE, type Node } from '../bbolt/node.ts';
import { isRevisionKey } from '../mvcc/revision.ts';
import { bucketsOf, compactRevisionOf, rootCandidates, type BucketRefs } from './buckets.ts';
import { compareRev, keyEntries, revOfKey, type KeyEntry, type Rev } from './key-entries.ts';
import { pageFileFor, type PageFile } from './pages.ts';
import { lostFromTree } from './lost.ts';
import { inDamaged, renamedEntries, type DamagedRange } from './ranges.ts';
import { walkTree, type KeyBounds } from './walk.ts';

export type { DamagedRange } from './ranges.ts';
export { describeRange, mayBeSuperseded } from './ranges.ts';

export interface SalvagePlan {
  /** Both meta pages were unreadable (the tree was found by scanning). */
  metaDamaged: boolean;
  /** The file's pages, at the page size the meta (or a probe) gave. */
  pages: PageFile;
  /** How the tree was found (meta pages, root found by scanning, …), for people. */
  notes: string[];
  damaged: DamagedRange[];
  /** Every entry used: the live tree's, then copies that fill damaged ranges (at most one per revision). */
  entries: KeyEntry[];
  /** Values of entries in an inline bucket (no page of their own to read again), by entry. */
  inlineValues: Map<KeyEntry, Uint8Array>;
  compactRevision: number;
  /** The newest revision among the used entries. */
  revision: number;
  /** Tree leaves with unreadable elements or cut short: their deletes are not trusted (the key comes back, flagged). */
  suspectPages: Set<number>;
}

interface Walked {
  live: KeyEntry[];
  damaged: DamagedRange[];
  reached: Set<number>;
  inlineValues: Map<KeyEntry, Uint8Array>;
  newest: number;
  suspect: Set<number>;
}

function revBounds(b: KeyBounds): { from: Rev | null; to: Rev | null } {
  return { from: b.from === null ? null : revOfKey(b.from), to: b.to === null ? null : revOfKey(b.to) };
}

/** The live tree of the `key` bucket: its entries, and the ranges it cannot account for. */
function walkKeyBucket(pf: PageFile, ref: BucketRef): Walked {
  const w: Walked = { live: [], damaged: [], reached: new Set(), inlineValues: new Map(), newest: 0, suspect: new Set() };
  walkTree(
    pf,
    ref,
    {
      damaged(page, reason, bounds) {
        w.damaged.push({ page, reason, ...revBounds(bounds) });
      },
      leaf(node, bounds, cut, zeroed, wideBounds) {
        const { entries, broken } = keyEntries(node, zeroed);
        const range = revBounds(bounds);
        const wide = revBounds(wideBounds);
        const inside = (e: KeyEntry) =>
          (range.from === null || compareRev(e, range.from) >= 0) && (range.to === null || compareRev(e, range.to) < 0);
        if (entries.length > 0 && !entries.every(inside)) {
          // Not the page the parent meant (a wrong pointer, or a damaged branch key): both the range the
          // parent gives and the page's own are in doubt; its entries may still fill them as copies.
          w.reached.delete(node.page);
          const first = entries[0]!;
          const last = entries[entries.length - 1]!;
          const from = range.from === null || compareRev(first, range.from) < 0 ? first : range.from;
          const after: Rev = { main: last.main, sub: last.sub + 1 };
          const to = range.to === null || compareRev(after, range.to) <= 0 ? range.to : after;
          w.damaged.push({ page: node.page, reason: 'holds revisions outside the range its parent gives it', from, to });
          return;
        }
        for (const e of entries) {
          w.live.push(e);
          if (node.inline) w.inlineValues.set(e, node.value(e.index).slice());
          if (e.main > w.newest) w.newest = e.main;
        }
        if (broken.length === 0 && cut === undefined) return;
        w.suspect.add(node.page);
        // Each run of unreadable elements could have held the revisions between its readable neighbours.
        const lost = zeroed === undefined ? '' : `; ${zeroed.length} overflow page${zeroed.length === 1 ? ' is' : 's are'} all zeros`;
        const reason = (n: number) =>
          `${n} of ${node.count} elements unreadable or out of order${cut === undefined ? '' : `; ${cut}`}${lost}`;
        if (entries.length === 0) {
          w.damaged.push({ page: node.page, reason: reason(broken.length), ...wide });
          return;
        }
        let run: number[] = [];
        const flush = (next: KeyEntry | undefined, prev: KeyEntry | undefined) => {
          if (run.length > 0)
            w.damaged.push({ page: node.page, reason: reason(run.length), from: prev ?? wide.from, to: next ?? range.to });
          run = [];
        };
        let prev: KeyEntry | undefined;
        let k = 0;
        for (let i = 0; i < node.count; i++) {
          if (entries[k]?.index === i) {
            flush(entries[k], prev);
            prev = entries[k++];
          } else run.push(i);
        }
        flush(undefined, prev);
        // A page cut short may have held more elements after the last readable one.
        if (cut !== undefined && entries[entries.length - 1]!.index === node.count - 1)
          w.damaged.push({ page: node.page, reason: cut, from: prev ?? range.from, to: range.to });
      },
    },
    w.reached,
    // Every key of the key bucket is a revision key: a branch key that is not one was damaged, and
    // taken as a bound it would make its child's range unbounded (so a wrong child looked right).
    isRevisionKey,
  );
  return w;
}

export function salvagePlan(file: BlockFile, dataSize: number): SalvagePlan {
  const notes: string[] = [];
  let meta: Meta | null = null;
  try {
    meta = readMeta(file, dataSize);
  } catch (e) {
    if (!(e instanceof K8sEncError)) throw e;
    notes.push(`both meta pages are damaged (${e.message.replace(/^no valid bbolt meta page: /, '')})`);
  }
  const pf = pageFileFor(file, dataSize, meta);
  const rootProblems: string[] = [];
  let foundTree: DamagedRange | undefined;
  let buckets: BucketRefs = meta === null ? { key: null, meta: null } : bucketsOf(pf, { root: meta.rootPgid }, rootProblems);
  let walked: Walked | null = buckets.key === null ? null : walkKeyBucket(pf, buckets.key);
  if (walked === null) {
    // Find the root bucket by scanning: of its current and freed copies, the one whose key bucket reaches the newest revision.
    if (meta !== null)
      notes.push(
        `the root bucket (page ${meta.rootPgid}) names no key bucket${rootProblems.length > 0 ? `: ${rootProblems.join('; ')}` : ''}`,
      );
    for (const p of rootCandidates(pf)) {
      const b = bucketsOf(pf, { root: p });
      const w = walkKeyBucket(pf, b.key!);
      if (walked === null || w.newest > walked.newest || (w.newest === walked.newest && w.damaged.length < walked.damaged.length)) {
        walked = w;
        buckets = b;
        notes.push(`root bucket candidate page ${p}: key bucket reaches revision ${w.newest}`);
      }
    }
    if (walked !== null) {
      notes.push(`using the root bucket whose key bucket reaches the newest revision (${walked.newest})`);
      // A found root may be an old copy: whatever is newer than its tree lies outside it.
      walked.damaged.push(
        (foundTree = {
          page: -1,
          reason: 'the tree was found by scanning and may be an old copy',
          from: { main: walked.newest, sub: 1 },
          to: null,
        }),
      );
    }
  }
  const damaged: DamagedRange[] = walked?.damaged ?? [
    { page: -1, reason: 'no root bucket naming a key bucket was found', from: null, to: null },
  ];
  const entries = walked?.live ?? [];
  const reached = walked?.reached ?? new Set<number>();
  let newest = walked?.newest ?? 0;
  // Pages no tree reaches: leaves cut off by the damage, or freed copies. Their entries fill damaged
  // ranges only (elsewhere they are old copies, or revisions compaction removed); a copy that
  // differs from the tree's entry of the same revision shows damage that parsed (a flipped byte
  // inside a key or value): that revision is then reported, and a copy naming another key kept too.
  const compact = compactRevisionOf(pf, buckets.meta);
  // Compaction may remove a creation revision while another key of its transaction stays. Entries
  // of the tree that look renamed by damage are reported before the page scan, so that a freed copy
  // of their revision can fill in the real one.
  const renamed = renamedEntries(entries, compact);
  damaged.push(...renamed);
  const suspect = walked?.suspect ?? new Set<number>();
  const { others, rootIsChild } = unreachedPages(pf, reached, buckets.key?.root ?? 0);
  // What a damaged pointer cut off without any page failing to read (see lost.ts). Entries between
  // the two compaction marks may be gone from the tree while etcd is still compacting.
  const compacted = Math.max(compact ?? 0, compactRevisionOf(pf, buckets.meta, 'scheduledCompactRev') ?? 0);
  damaged.push(...lostFromTree(entries, others, compacted, rootIsChild, damaged));
  const have = new Map(entries.map((e) => [`${e.main}_${e.sub}`, e]));
  let newestAnywhere = 0;
  for (const e of others) {
    newestAnywhere = Math.max(newestAnywhere, e.main);
    const id = `${e.main}_${e.sub}`;
    const other = have.get(id);
    if (other !== undefined) {
      if (other.hash === e.hash) continue;
      damaged.push({
        page: other.page,
        reason: `revision ${e.main}_${e.sub} differs from its copy on page ${e.page}`,
        from: e,
        to: { main: e.main, sub: e.sub + 1 },
      });
      if (other.name === e.name) continue;
    } else if (!inDamaged(e, damaged)) continue;
    else have.set(id, e);
    entries.push(e);
    if (e.main > newest) newest = e.main;
  }
  // The copies may look renamed too (or make a tree entry look so): checked again over all entries.
  const seen = new Set(renamed.map((d) => `${d.page} ${d.from?.main}`));
  damaged.push(...renamedEntries(entries, compact).filter((d) => !seen.has(`${d.page} ${d.from?.main}`)));
  damaged.push(...suspectRanges(entries, suspect));
  if (meta === null && foundTree !== undefined && damaged.length === 1 && newestAnywhere <= newest) {
    // No meta page says which tree is current (with a valid meta, its damaged root says the current
    // tree is damaged): a whole found tree holding the newest revision of any page is taken as current.
    damaged.length = 0;
    notes.push(`the tree found by scanning is whole and holds the newest revision on any page (${newest}): taken as the current tree`);
  }
  if (compact === null) notes.push('the meta bucket is unreadable: the compaction revision is unknown (taken as 0)');
  return {
    metaDamaged: meta === null,
    pages: pf,
    notes,
    damaged,
    entries,
    inlineValues: walked?.inlineValues ?? new Map(),
    compactRevision: compact ?? 0,
    revision: Math.max(newest, compact ?? 0),
    suspectPages: suspect,
  };
}

/**
 * The entries of the key bucket leaves the tree does not reach (leaves cut off by the damage, or
 * freed copies), in page order, and whether a branch it does not reach lists `keyRoot` as a child.
 */
function unreachedPages(pf: PageFile, reached: Set<number>, keyRoot: number): { others: KeyEntry[]; rootIsChild: boolean } {
  const others: KeyEntry[] = [];
  let rootIsChild = false;
  for (let p = 2; p < pf.pageCount; p++) {
    if (reached.has(p)) continue;
    const h = pf.header(p, true);
    if (h === null || h.id !== p || (h.flags !== LEAF_PAGE && (h.flags !== BRANCH_PAGE || keyRoot === 0 || rootIsChild))) continue;
    const r = pf.read(p, true);
    if (typeof r === 'string') continue;
    if (r.node.isLeaf) others.push(...keyEntries(r.node, r.zeroed).entries);
    else rootIsChild = listsChild(r.node, keyRoot);
  }
  return { others, rootIsChild };
}

function listsChild(branch: Node, child: number): boolean {
  for (let i = 0; i < branch.count; i++) {
    try {
      if (branch.child(i) === child) return true;
    } catch {
      // an impossible page id: not this child
    }
  }
  return false;
}

/**
 * A tree leaf with damage inside it (unreadable elements, cut short) may hold more that parsed but
 * is wrong (a flipped key byte that still makes a valid key): all the revisions it holds are
 * reported. (A copy that differs, or a key that looks renamed, does not say which of two pages is
 * the damaged one: those report their revisions only.)
 */
function suspectRanges(entries: KeyEntry[], suspect: Set<number>): DamagedRange[] {
  const span = new Map<number, { from: number; to: number }>();
  for (const e of entries) {
    if (!suspect.has(e.page)) continue;
    const s = span.get(e.page);
    if (s === undefined) span.set(e.page, { from: e.main, to: e.main });
    else {
      s.from = Math.min(s.from, e.main);
      s.to = Math.max(s.to, e.main);
    }
  }
  return [...span].map(([page, s]) => ({
    page,
    reason: 'holds damage: its other revisions are not sure either',
    from: { main: s.from, sub: 0 },
    to: { main: s.to + 1, sub: 0 },
  }));
}
