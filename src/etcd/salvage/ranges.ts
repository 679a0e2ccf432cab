/**
 * Damaged revision ranges: what a page that could not be read could have held, and what that means
 * for a key whose newest surviving revision is older than such a range.
 */
import { compareRev, type KeyEntry, type Rev } from './key-entries.ts';

/** A page that could not be read, or whose elements partly could not, and the revisions it could have held. */
export interface DamagedRange {
  page: number;
  reason: string;
  /** Inclusive; null = from the first revision. */
  from: Rev | null;
  /** Exclusive; null = up to the newest. */
  to: Rev | null;
}

/**
 * Entries whose key bytes may have been flipped into another well-formed key: a put whose creation
 * revision holds another key, a delete of a key nothing puts. They are kept, but reported as a
 * damaged range, so keys whose newest revision they might really be say mayBeSuperseded. The range
 * is the entry's whole main revision: the damage may have reached its revision key's sub too
 * (nothing in the value repeats the sub), so a freed copy of that revision under another sub is
 * the real entry, and may fill the range. `compact` null (unknown): taken as 0 where that can only
 * report more.
 */
export function renamedEntries(entries: KeyEntry[], compact: number | null): DamagedRange[] {
  const compactRevision = compact ?? 0;
  const byMain = groupBy(entries, (e) => e.main);
  const out: DamagedRange[] = [];
  const putKeys = new Set(entries.filter((e) => !e.tombstone).map((e) => e.name));
  for (const e of entries) {
    // A delete always follows a put of its key, which compaction keeps while the delete is newer.
    // When that put was lost to damage instead, this reports one revision too many: harmless.
    if (e.tombstone && !putKeys.has(e.name)) {
      out.push({
        page: e.page,
        reason: `revision ${e.main}_${e.sub} deletes a key no revision puts (a damaged key?)`,
        ...wholeRevision(e),
      });
    }
    if (e.tombstone || e.createRevision === e.main || e.createRevision <= compactRevision) continue;
    const created = byMain.get(e.createRevision);
    if (created === undefined || created.some((c) => c.name === e.name)) continue;
    const reason = `revision ${e.main}_${e.sub} says its key was created at revision ${e.createRevision}, which holds another key (a damaged key?)`;
    out.push({ page: e.page, reason, ...wholeRevision(e) });
  }
  out.push(...historyConflicts(entries, compact));
  // One report per revision, with the first reason found.
  const seen = new Set<string>();
  return out.filter((d) => {
    const id = `${d.page} ${d.from!.main}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Revisions of one key that etcd cannot have written. A put continues the life its key began at
 * its creation revision: the key's revision before it, if at or after that creation, must be a put
 * of the same life; a put that created its key follows a delete or nothing; and a later put of a
 * life has an earlier revision of that life, unless compaction removed those (compaction keeps
 * each key's newest revision at or below the compaction and all later ones, so a put above it
 * always has one). Either of two such revisions may be another key's entry whose key bytes were
 * damaged: both are reported.
 */
function historyConflicts(entries: KeyEntry[], compact: number | null): DamagedRange[] {
  const out: DamagedRange[] = [];
  for (const list of groupBy(entries, (e) => e.name).values()) {
    list.sort(compareRev);
    for (let i = 0; i < list.length; i++) {
      const prev = list[i - 1];
      const cur = list[i]!;
      if (cur.tombstone) continue;
      let why: string;
      if (prev !== undefined && prev.main >= cur.createRevision) {
        if (!prev.tombstone && prev.createRevision === cur.createRevision) continue;
        why = `revision ${prev.main}_${prev.sub} ${prev.tombstone ? 'deleted it' : `says ${prev.createRevision}`}`;
      } else if (cur.createRevision === cur.main) {
        if (prev === undefined || prev.tombstone) continue;
        why = `but revision ${prev.main}_${prev.sub} put it with no delete between`;
      } else {
        // With the compaction unknown, every key compaction trimmed would be reported.
        if (compact === null || cur.main <= compact) continue;
        why = `but no revision of it since then is left`;
      }
      const reason = `revision ${cur.main}_${cur.sub} says its key was created at revision ${cur.createRevision}, ${why} (a damaged key?)`;
      out.push({ page: cur.page, reason, ...wholeRevision(cur) });
      if (prev !== undefined) out.push({ page: prev.page, reason, ...wholeRevision(prev) });
    }
  }
  return out;
}

function groupBy<K>(entries: KeyEntry[], by: (e: KeyEntry) => K): Map<K, KeyEntry[]> {
  const groups = new Map<K, KeyEntry[]>();
  for (const e of entries) {
    const list = groups.get(by(e));
    if (list === undefined) groups.set(by(e), [e]);
    else list.push(e);
  }
  return groups;
}

function wholeRevision(e: Rev): { from: Rev; to: Rev } {
  return { from: { main: e.main, sub: 0 }, to: { main: e.main + 1, sub: 0 } };
}

export function inDamaged(e: Rev, damaged: DamagedRange[]): boolean {
  return damaged.some((d) => (d.from === null || compareRev(e, d.from) >= 0) && (d.to === null || compareRev(e, d.to) < 0));
}

/**
 * Whether a damaged range could hold a revision of this key newer than `latest` (at or below
 * `atRevision`), or holds `latest` itself: an entry inside a damaged range (a copy that differs, a
 * key that may have been renamed into this one) is not a sure newest value either.
 */
export function mayBeSuperseded(latest: Rev, damaged: DamagedRange[], atRevision: number): boolean {
  return damaged.some(
    (d) => (d.to === null || compareRev(latest, d.to) < 0) && (atRevision === 0 || d.from === null || d.from.main <= atRevision),
  );
}

/** `revisions 57..63`, for a damaged range (to is exclusive). */
export function describeRange(d: DamagedRange): string {
  const last = d.to === null ? null : d.to.sub > 0 ? d.to.main : d.to.main - 1;
  if (d.from === null && last === null) return 'any revision';
  if (d.from === null) return `revisions up to ${last}`;
  if (last === null) return `revisions ${d.from.main} and later`;
  return `revisions ${d.from.main}..${last}`;
}
