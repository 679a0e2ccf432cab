/**
 * Damage a snapshot file the ways backups get damaged: a zeroed or garbled page, flipped bytes,
 * both meta pages broken, a cut-off tail. `touched` lists every page whose bytes changed or are
 * gone, found by comparing with the original, so oracles never trust the damage code's own idea.
 */
import type { Rng } from './mutate.ts';
import { mutate } from './mutate.ts';

export type DamageKind = 'zero-page' | 'garble-page' | 'flip-bytes' | 'both-metas' | 'truncate' | 'bytes';

export interface Damaged {
  bytes: Uint8Array;
  kind: DamageKind;
  /** Pages (of the original's page size) that differ from the original or are missing. */
  touched: Set<number>;
}

export function zeroPage(b: Uint8Array, page: number, pageSize: number): void {
  b.fill(0, page * pageSize, (page + 1) * pageSize);
}

export function garblePage(rng: Rng, b: Uint8Array, page: number, pageSize: number): void {
  b.set(rng.bytes(pageSize).subarray(0, Math.max(0, Math.min(pageSize, b.length - page * pageSize))), page * pageSize);
}

export function touchedPages(original: Uint8Array, damaged: Uint8Array, pageSize: number): Set<number> {
  const touched = new Set<number>();
  const pages = Math.ceil(original.length / pageSize);
  for (let p = 0; p < pages; p++) {
    const a = original.subarray(p * pageSize, (p + 1) * pageSize);
    const b = damaged.subarray(p * pageSize, (p + 1) * pageSize);
    if (a.length !== b.length || !Buffer.from(a).equals(b)) touched.add(p);
  }
  return touched;
}

/** One random kind of damage to a copy of `snap` (a database with or without its sha256 trailer). */
export function damageSnapshot(rng: Rng, snap: Uint8Array, pageSize: number): Damaged {
  let b: Uint8Array = snap.slice();
  const pages = Math.floor(snap.length / pageSize);
  const kinds: DamageKind[] = ['zero-page', 'garble-page', 'flip-bytes', 'both-metas', 'truncate', 'bytes'];
  const kind = rng.pick(kinds);
  const times = 1 + (rng.chance(0.3) ? rng.int(3) : 0);
  for (let t = 0; t < times; t++) {
    const page = 2 + rng.int(Math.max(1, pages - 2));
    switch (kind) {
      case 'zero-page':
        zeroPage(b, page, pageSize);
        break;
      case 'garble-page':
        garblePage(rng, b, page, pageSize);
        break;
      case 'flip-bytes':
        for (let i = 1 + rng.int(8); i > 0; i--) b[page * pageSize + rng.int(pageSize)]! ^= 1 << rng.int(8);
        break;
      case 'both-metas':
        if (rng.chance(0.5)) {
          zeroPage(b, 0, pageSize);
          zeroPage(b, 1, pageSize);
        } else {
          b[16 + rng.int(64)]! ^= 0x40;
          b[pageSize + 16 + rng.int(64)]! ^= 0x40;
        }
        break;
      case 'truncate':
        b = b.subarray(0, rng.chance(0.5) ? page * pageSize : page * pageSize + rng.int(pageSize)).slice();
        break;
      case 'bytes':
        b = mutate(rng, b, snap.length + 4096);
        break;
    }
  }
  return { bytes: b, kind, touched: touchedPages(snap, b, pageSize) };
}
