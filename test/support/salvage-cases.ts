/**
 * The damage kinds of the salvage tests, applied to a copy of a real snapshot at pages chosen from
 * its page map (test/support/page-map.ts): a leaf in the middle of the key bucket, its branch, the
 * leaf with overflow pages, both metas, the tail.
 */
import type { PageMap } from './page-map.ts';

export interface SalvageCase {
  name: string;
  bytes: Buffer;
  /** Revisions the damage destroys, by leaf page: the report must name the page with a range holding them. */
  destroyed: { page: number; revisions: number[] }[];
}

function zero(b: Buffer, page: number, pageSize: number): void {
  b.fill(0, page * pageSize, (page + 1) * pageSize);
}

/** Deterministic noise (a linear congruential sequence): the same garbage every run. */
function garble(b: Buffer, page: number, pageSize: number): void {
  let x = 12345 + page;
  for (let i = page * pageSize; i < (page + 1) * pageSize; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
}

export function salvageCases(snap: Buffer, map: PageMap): SalvageCase[] {
  const ps = map.pageSize;
  const live = [...map.leaves.values()].filter((l) => l.live).sort((a, b) => a.entries[0]!.main - b.entries[0]!.main);
  const middle = live[Math.floor(live.length / 2)]!;
  const another = live[Math.floor(live.length / 3)]!;
  const overflowLeaf = live.find((l) => l.pages.length > 1);
  const copy = () => Buffer.from(snap);
  const cases: SalvageCase[] = [];
  const all = (leaf: { page: number; entries: { main: number }[] }) => [{ page: leaf.page, revisions: leaf.entries.map((e) => e.main) }];
  // biome-ignore lint/suspicious/noConfusingVoidType: an edit either changes the copy in place or returns a new buffer
  const add = (name: string, destroyed: SalvageCase['destroyed'], edit: (b: Buffer) => Buffer | void) => {
    const b = copy();
    cases.push({ name, bytes: edit(b) ?? b, destroyed });
  };
  add('a zeroed leaf page', all(middle), (b) => zero(b, middle.page, ps));
  add('a garbled leaf page', all(another), (b) => garble(b, another.page, ps));
  add('a zeroed branch page', [], (b) => zero(b, map.branches[0]!, ps));
  add('a garbled branch page', [], (b) => garble(b, map.branches[0]!, ps));
  add('both meta pages broken', [], (b) => {
    zero(b, 0, ps);
    b[ps + 16 + 20]! ^= 0xff; // meta 1's root: its checksum no longer matches
  });
  add('the file truncated at 70 %', [], (b) => b.subarray(0, Math.floor(b.length * 0.7)));
  if (overflowLeaf !== undefined) {
    const cut = overflowLeaf.entries.filter((e) => e.end > ps).map((e) => e.main);
    add('overflow pages cut off', [{ page: overflowLeaf.page, revisions: cut }], (b) => {
      for (const p of overflowLeaf.pages.slice(1)) zero(b, p, ps);
    });
  }
  const flipped = middle.entries.filter((e) => e.index === 1 || e.index === 2).map((e) => e.main);
  add('bytes flipped inside a leaf', [{ page: middle.page, revisions: flipped }], (b) => {
    // Into the second element's value (its KeyValue), and into the element table of the third.
    const base = middle.page * ps;
    const e1 = base + 16 + 16;
    const valueAt = e1 + b.readUInt32LE(e1 + 4) + b.readUInt32LE(e1 + 8);
    b[valueAt]! ^= 0xff;
    b[base + 16 + 2 * 16 + 8]! ^= 0x40;
  });
  return cases;
}
