/**
 * What a damaged etcd database still holds: every `key` bucket entry the tree still reaches, plus,
 * for the revision ranges of the pages it cannot read, entries on other pages that pass the key
 * bucket shape check (leaves cut off from the tree, or old copies bbolt freed: the same revision
 * has the same bytes wherever it lies, so a copy is used only for a revision nothing else has).
 */
import { compareBytes, utf8 } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import type { BucketRef } from '../bbolt/db.ts';
import type { RandomAccessFile } from '../bbolt/file.ts';
import { readMeta, u64AsNumber, type Meta } from '../bbolt/meta.ts';
import { BUCKET_LEAF_FLAG, LEAF_PAGE, Node } from '../bbolt/node.ts';
import { parseRevisionKey } from '../mvcc/revision.ts';
import { compareRev, keyEntries, revOfKey, type KeyEntry, type Rev } from './key-entries.ts';
import { pageFileFor, type PageFile } from './pages.ts';
import { walkTree, within, type KeyBounds } from './walk.ts';

/** A page that could not be read, or whose elements partly could not, and the revisions it could have held. */
export interface DamagedRange {
  page: number;
  reason: string;
  /** Inclusive; null = from the first revision. */
  from: Rev | null;
  /** Exclusive; null = up to the newest. */
  to: Rev | null;
}

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
}

interface BucketRefs {
  key: BucketRef | null;
  meta: BucketRef | null;
}

/** The `key` and `meta` buckets named in a root bucket tree, reading past damage. */
function bucketsOf(pf: PageFile, root: BucketRef, problems: string[] = []): BucketRefs {
  const out: BucketRefs = { key: null, meta: null };
  walkTree(pf, root, {
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
  }, new Set());
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
function rootCandidates(pf: PageFile): number[] {
  const out: number[] = [];
  for (let p = 2; p < pf.pageCount; p++) {
    const h = pf.header(p);
    if (h === null || h.id !== p || h.flags !== LEAF_PAGE || h.count === 0 || h.count > 64) continue;
    if (bucketsOf(pf, { root: p }).key !== null) out.push(p);
  }
  return out;
}

interface Walked {
  live: KeyEntry[];
  damaged: DamagedRange[];
  reached: Set<number>;
  inlineValues: Map<KeyEntry, Uint8Array>;
  newest: number;
}

function revBounds(b: KeyBounds): { from: Rev | null; to: Rev | null } {
  return { from: b.from === null ? null : revOfKey(b.from), to: b.to === null ? null : revOfKey(b.to) };
}

/** The live tree of the `key` bucket: its entries, and the ranges it cannot account for. */
function walkKeyBucket(pf: PageFile, ref: BucketRef): Walked {
  const w: Walked = { live: [], damaged: [], reached: new Set(), inlineValues: new Map(), newest: 0 };
  walkTree(pf, ref, {
    damaged(page, reason, bounds) {
      w.damaged.push({ page, reason, ...revBounds(bounds) });
    },
    leaf(node, bounds, cut, zeroed) {
      const { entries, broken } = keyEntries(node, zeroed);
      const range = revBounds(bounds);
      const inside = (e: KeyEntry) => (range.from === null || compareRev(e, range.from) >= 0) && (range.to === null || compareRev(e, range.to) < 0);
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
      // Each run of unreadable elements could have held the revisions between its readable neighbours.
      const lost = zeroed === undefined ? '' : `; ${zeroed.length} overflow page${zeroed.length === 1 ? ' is' : 's are'} all zeros`;
      const reason = (n: number) => `${n} of ${node.count} elements unreadable${cut === undefined ? '' : `; ${cut}`}${lost}`;
      if (entries.length === 0) {
        w.damaged.push({ page: node.page, reason: reason(broken.length), ...range });
        return;
      }
      let run: number[] = [];
      const flush = (next: KeyEntry | undefined, prev: KeyEntry | undefined) => {
        if (run.length > 0) w.damaged.push({ page: node.page, reason: reason(run.length), from: prev ?? range.from, to: next ?? range.to });
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
      if (cut !== undefined && broken.length === 0) w.damaged.push({ page: node.page, reason: cut, from: prev ?? range.from, to: range.to });
    },
  }, w.reached);
  return w;
}

/**
 * A put names its key's creation revision; when that revision is readable and names another key,
 * one of the two had a byte flipped inside its key (it still parsed). Both are kept, but the later
 * revision is reported, so keys whose newest revision it might really be say mayBeSuperseded.
 */
function renamedEntries(entries: KeyEntry[], damaged: DamagedRange[], compactRevision: number): DamagedRange[] {
  const byMain = new Map<number, KeyEntry[]>();
  for (const e of entries) {
    const list = byMain.get(e.main);
    if (list === undefined) byMain.set(e.main, [e]);
    else list.push(e);
  }
  const out: DamagedRange[] = [];
  const putKeys = new Set(entries.filter((e) => !e.tombstone).map((e) => e.name));
  for (const e of entries) {
    // A delete always follows a put of its key, which compaction keeps while the delete is newer
    // (unless that put could lie in an earlier damaged range).
    if (e.tombstone && !putKeys.has(e.name) && !damaged.some((d) => d.from === null || compareRev(d.from, e) < 0)) {
      out.push({ page: e.page, reason: `revision ${e.main}_${e.sub} deletes a key no revision puts (a damaged key?)`, from: e, to: { main: e.main, sub: e.sub + 1 } });
    }
    if (e.tombstone || e.createRevision === e.main || e.createRevision <= compactRevision) continue;
    const created = byMain.get(e.createRevision);
    if (created === undefined || created.some((c) => c.name === e.name)) continue;
    if (inDamaged({ main: e.createRevision, sub: 0 }, damaged)) continue;
    const reason = `revision ${e.main}_${e.sub} says its key was created at revision ${e.createRevision}, which holds another key (a damaged key?)`;
    out.push({ page: e.page, reason, from: e, to: { main: e.main, sub: e.sub + 1 } });
  }
  return out;
}

function inDamaged(e: Rev, damaged: DamagedRange[]): boolean {
  return damaged.some((d) => (d.from === null || compareRev(e, d.from) >= 0) && (d.to === null || compareRev(e, d.to) < 0));
}

/** etcd's finishedCompactRev (0 when it never compacted), or null when the meta bucket cannot be read. */
function compactRevisionOf(pf: PageFile, meta: BucketRef | null): number | null {
  if (meta === null) return null;
  let found: number | null = 0;
  walkTree(pf, meta, {
    leaf(node) {
      for (let i = 0; i < node.count; i++) {
        try {
          if (compareBytes(node.key(i), utf8('finishedCompactRev')) === 0) found = parseRevisionKey(node.value(i))?.main ?? found;
        } catch {
          found = null; // a damaged element could be the one
        }
      }
    },
    damaged() {
      found = null;
    },
  }, new Set());
  return found;
}

export function salvagePlan(file: RandomAccessFile, dataSize: number): SalvagePlan {
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
    if (meta !== null) notes.push(`the root bucket (page ${meta.rootPgid}) names no key bucket${rootProblems.length > 0 ? `: ${rootProblems.join('; ')}` : ''}`);
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
      walked.damaged.push((foundTree = { page: -1, reason: 'the tree was found by scanning and may be an old copy', from: { main: walked.newest, sub: 1 }, to: null }));
    }
  }
  const damaged: DamagedRange[] = walked?.damaged ?? [{ page: -1, reason: 'no root bucket naming a key bucket was found', from: null, to: null }];
  const entries = walked?.live ?? [];
  const reached = walked?.reached ?? new Set<number>();
  let newest = walked?.newest ?? 0;
  // Pages no tree reaches: leaves cut off by the damage, or freed copies. Their entries fill damaged
  // ranges only (elsewhere they are old copies, or revisions compaction removed); a copy that
  // differs from the tree's entry of the same revision shows damage that parsed (a flipped byte
  // inside a key or value): that revision is then reported, and a copy naming another key kept too.
  const have = new Map(entries.map((e) => [`${e.main}_${e.sub}`, e]));
  let newestAnywhere = 0;
  for (let p = 2; p < pf.pageCount; p++) {
    if (reached.has(p)) continue;
    const h = pf.header(p);
    if (h === null || h.id !== p || h.flags !== LEAF_PAGE) continue;
    const r = pf.read(p);
    if (typeof r === 'string') continue;
    for (const e of keyEntries(r.node, r.zeroed).entries) {
      newestAnywhere = Math.max(newestAnywhere, e.main);
      const id = `${e.main}_${e.sub}`;
      const other = have.get(id);
      if (other !== undefined) {
        if (other.hash === e.hash) continue;
        damaged.push({ page: other.page, reason: `revision ${e.main}_${e.sub} differs from its copy on page ${e.page}`, from: e, to: { main: e.main, sub: e.sub + 1 } });
        if (other.name === e.name) continue;
      } else if (!inDamaged(e, damaged)) continue;
      else have.set(id, e);
      entries.push(e);
      if (e.main > newest) newest = e.main;
    }
  }
  const compact = compactRevisionOf(pf, buckets.meta);
  // Compaction may remove a creation revision while another key of its transaction stays.
  if (compact !== null) damaged.push(...renamedEntries(entries, damaged, compact));
  if (meta === null && foundTree !== undefined && damaged.length === 1 && newestAnywhere <= newest) {
    // No meta page says which tree is current (with a valid meta, its damaged root says the current
    // tree is damaged): a whole found tree holding the newest revision of any page is taken as current.
    damaged.length = 0;
    notes.push(`the tree found by scanning is whole and holds the newest revision on any page (${newest}): taken as the current tree`);
  }
  if (compact === null) notes.push('the meta bucket is unreadable: the compaction revision is unknown (taken as 0)');
  return { metaDamaged: meta === null, pages: pf, notes, damaged, entries, inlineValues: walked?.inlineValues ?? new Map(), compactRevision: compact ?? 0, revision: Math.max(newest, compact ?? 0) };
}

/** Whether a damaged range could hold a revision of this key newer than `latest` (at or below `atRevision`). */
export function mayBeSuperseded(latest: Rev, damaged: DamagedRange[], atRevision: number): boolean {
  const after: Rev = { main: latest.main, sub: latest.sub + 1 };
  return damaged.some((d) => (d.to === null || compareRev(after, d.to) < 0) && (atRevision === 0 || d.from === null || d.from.main <= atRevision));
}

/** `revisions 57..63`, for a damaged range (to is exclusive). */
export function describeRange(d: DamagedRange): string {
  const last = d.to === null ? null : d.to.sub > 0 ? d.to.main : d.to.main - 1;
  if (d.from === null && last === null) return 'any revision';
  if (d.from === null) return `revisions up to ${last}`;
  if (last === null) return `revisions ${d.from.main} and later`;
  return `revisions ${d.from.main}..${last}`;
}
