/**
 * What a salvage read of a damaged copy must give, from the undamaged file's page map and the set
 * of pages the damage touched: every key whose newest revision on an untouched page is a put comes
 * back with at least that revision (exactly its bytes when it is that one and no touched page holds
 * another copy of it: bytes flipped inside a value that still decodes cannot be told from real
 * ones), or is gone because a newer delete survived; a key whose newest original revision is not
 * what came back carries mayBeSuperseded.
 */
import { fromUtf8 } from '../../src/bytes.ts';
import { openSalvage, type SalvageSource } from '../../src/etcd/salvage/source.ts';
import { deletesOn, loadedKeyValueType, type MapEntry, type PageMap } from './page-map.ts';

export interface Salvaged {
  revision: number;
  value: Buffer;
  mayBeSuperseded: boolean;
}

/** Every item a salvage scan of `from` (a path, or an opened source) gives; closes the source. */
export async function salvageAll(
  from: string | SalvageSource,
): Promise<{ keys: Map<string, Salvaged>; errors: string[]; damagedPages: number[] }> {
  const src = typeof from === 'string' ? await openSalvage(from) : from;
  const keys = new Map<string, Salvaged>();
  const errors: string[] = [];
  try {
    for await (const item of src.scan(new Uint8Array(0))) {
      if (!item.ok) errors.push(item.error.describe());
      else
        keys.set(Buffer.from(item.entry.key).toString('latin1'), {
          revision: item.entry.modRevision,
          value: Buffer.from(item.entry.value),
          mayBeSuperseded: item.mayBeSuperseded === true,
        });
    }
    return { keys, errors, damagedPages: src.report().damaged.map((d) => d.page) };
  } finally {
    await src.close();
  }
}

const newer = (a: MapEntry, b: MapEntry | undefined) => b === undefined || a.main > b.main || (a.main === b.main && a.sub > b.sub);

function newestByKey(entries: Iterable<MapEntry>): Map<string, MapEntry> {
  const out = new Map<string, MapEntry>();
  for (const e of entries) if (newer(e, out.get(e.key))) out.set(e.key, e);
  return out;
}

/**
 * The problems with `got`, empty when salvage did what it must. `damaged` (the damaged file): a key
 * may be missing when a delete naming it, newer than its intact revision, is on a touched page (a
 * key byte flipped inside another key's delete makes one salvage cannot tell from a real one).
 */
export function salvageProblems(map: PageMap, touched: Set<number>, got: Map<string, Salvaged>, damaged?: Uint8Array): string[] {
  const all = [...map.leaves.values()].flatMap((l) => l.entries);
  const intact = [...map.leaves.values()].filter((l) => l.pages.every((p) => !touched.has(p))).flatMap((l) => l.entries);
  const truth = newestByKey(all);
  const onTouched = new Set(
    [...map.leaves.values()].filter((l) => l.pages.some((p) => touched.has(p))).flatMap((l) => l.entries.map((e) => `${e.main}_${e.sub}`)),
  );
  const damagedDeletes = damaged === undefined ? [] : deletesOn(damaged, touched, map.pageSize, loadedKeyValueType());
  const problems: string[] = [];
  for (const [key, u] of newestByKey(intact)) {
    const g = got.get(key);
    const name = fromUtf8(Buffer.from(key, 'latin1'));
    if (u.tombstone) {
      if (g !== undefined && g.revision <= u.main)
        problems.push(`${name}: deleted at revision ${u.main} on intact page ${u.page}, but came back at revision ${g.revision}`);
      continue;
    }
    const t = truth.get(key)!;
    // A delete newer than u may have survived on a damaged page: then the key is rightly gone.
    const deletedLater =
      all.some((e) => e.key === key && e.tombstone && e.main > u.main) || damagedDeletes.some((d) => d.key === key && d.main > u.main);
    if (g === undefined) {
      if (!t.tombstone && !deletedLater) problems.push(`${name}: revision ${u.main} on intact page ${u.page} not recovered`);
    } else if (g.revision < u.main)
      problems.push(`${name}: came back at revision ${g.revision}, but revision ${u.main} is on intact page ${u.page}`);
    else if (g.revision === u.main && !g.value.equals(u.value) && !onTouched.has(`${u.main}_${u.sub}`)) {
      problems.push(`${name}: revision ${u.main} came back with other bytes`);
    }
  }
  for (const [key, g] of got) {
    const t = truth.get(key);
    const name = fromUtf8(Buffer.from(key, 'latin1'));
    if (t !== undefined && t.main !== g.revision && !g.mayBeSuperseded) {
      problems.push(
        `${name}: came back at revision ${g.revision}, its newest was ${t.main}${t.tombstone ? ' (a delete)' : ''}, and it does not say mayBeSuperseded`,
      );
    }
  }
  return problems;
}
