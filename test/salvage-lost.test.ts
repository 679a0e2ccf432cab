// Salvage rules for damage that no page read notices (src/etcd/salvage/lost.ts, and the key order
// checks of walk.ts / key-entries.ts): a pointer damaged into another valid page, a key moved out of
// order. Unit tests over hand-made entries, plus the root pointer case on vectors/salvage/snapshot.db.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { openSalvageBytes } from '../src/etcd/salvage/source.ts';
import type { KeyEntry } from '../src/etcd/salvage/key-entries.ts';
import { lostFromTree } from '../src/etcd/salvage/lost.ts';
import { orderedKeys } from '../src/etcd/salvage/walk.ts';
import { readPageMap } from './support/page-map.ts';
import { SALVAGE_SNAPSHOT } from './support/salvage-fixture.ts';
import { salvageAll, salvageProblems } from './support/salvage-oracle.ts';
import { touchedPages } from './fuzz/snapshot-damage.ts';

const entry = (main: number, page: number, hash = main): KeyEntry => ({
  main,
  sub: 0,
  name: `/registry/k${main}`,
  tombstone: false,
  page,
  index: 0,
  createRevision: main,
  hash,
});
const span = (d: { from: { main: number; sub: number } | null; to: { main: number; sub: number } | null }) =>
  `${d.from === null ? '-' : `${d.from.main}_${d.from.sub}`}..${d.to === null ? '-' : `${d.to.main}_${d.to.sub}`}`;

const tree = [10, 11, 12, 20, 21, 30].map((m) => entry(m, 5));

test('lostFromTree: what an undamaged file holds off the tree is no damage', () => {
  const others = [
    entry(11, 40), // an old copy of a revision the tree holds
    entry(3, 41), // removed by the compaction at 8
    entry(7, 41),
    entry(31, 42), // newer than the tree: a transaction committed while the snapshot was copied
    entry(32, 42),
  ];
  assert.deepEqual(lostFromTree(tree, others, 8, false, []), []);
  // Between the two compaction marks (etcd still compacting), as compacted passes it.
  assert.deepEqual(lostFromTree(tree, [entry(9, 41)], 9, false, []), []);
});

test('lostFromTree: a revision above the compaction that the tree lacks reports the gap it fell in, and what is newer', () => {
  const out = lostFromTree(tree, [entry(15, 40), entry(16, 40), entry(25, 41), entry(31, 42)], 8, false, []);
  assert.deepEqual(out.map(span), ['12_1..20_0', '21_1..30_0', '30_1..-']);
  assert.ok(out.every((d) => d.page === -1));
  assert.match(out[0]!.reason, /does not reach revisions 15_0 on page 40, 16_0 on page 40, which compaction did not remove/);
  assert.match(out[2]!.reason, /31_0 on page 42, newer than its tree's newest, and its tree is not whole/);
  // Below the tree's oldest: the range starts at the first revision.
  assert.deepEqual(lostFromTree(tree, [entry(9, 40)], 0, false, []).map(span), ['-..10_0']);
  // Inside a range already reported (an unreadable page, say): accounted for.
  const known = [{ page: 7, reason: 'zeroed', from: { main: 13, sub: 0 }, to: { main: 20, sub: 0 } }];
  assert.deepEqual(lostFromTree(tree, [entry(15, 40), entry(31, 42)], 8, false, known), []);
});

test('lostFromTree: newer revisions alone count when a branch off the tree lists its root', () => {
  assert.deepEqual(lostFromTree(tree, [entry(31, 42)], 8, true, []).map(span), ['30_1..-']);
  assert.deepEqual(lostFromTree(tree, [entry(31, 42)], 8, false, []), []);
  assert.deepEqual(lostFromTree([], [entry(31, 42)], 8, true, []).map(span), ['-..-']);
});

test('orderedKeys: when either of two keys could be the one moved out of order, neither is trusted', () => {
  const k = (main: number, tombstone = false) => {
    const b = new Uint8Array(tombstone ? 18 : 17);
    new DataView(b.buffer).setBigUint64(0, BigInt(main));
    b[8] = 0x5f;
    if (tombstone) b[17] = 0x74;
    return b;
  };
  const mains = (ks: (Uint8Array | null)[]) => ks.map((x) => (x === null ? null : Number(new DataView(x.buffer).getBigUint64(0))));
  // A leaf of seed-1-index-936453: the delete at 83 flipped to 81, after the delete at 82.
  const leaf = [k(80), k(81), k(82, true), k(81, true), k(84), k(85), k(86)];
  assert.deepEqual(mains(orderedKeys(leaf, { from: null, to: null })), [80, 81, null, null, 84, 85, 86]);
  // One key far out of order: only it.
  assert.deepEqual(mains(orderedKeys([k(1), k(9000), k(3), k(4)], { from: null, to: null })), [1, null, 3, 4]);
});

test("the key bucket's root pointer damaged into its own first leaf: the branch listing that leaf shows the rest was lost", async () => {
  const snap = new Uint8Array(readFileSync(SALVAGE_SNAPSHOT));
  const damaged = snap.slice();
  // The root bucket (page 28) names the key bucket's root, page 27 (a branch), at byte 444: now page 3, its first leaf.
  assert.equal(damaged[28 * 4096 + 444], 27);
  damaged[28 * 4096 + 444] = 3;
  const src = await openSalvageBytes(damaged);
  const report = src.report();
  const { keys, errors } = await salvageAll(src);
  assert.deepEqual(errors, []);
  assert.deepEqual(
    report.damaged.map((d) => [d.page, span(d)]),
    [[-1, '5_1..-']],
  );
  assert.match(report.damaged[0]!.reason, /a branch it does not reach lists its root page/);
  const map = await readPageMap(Buffer.from(snap));
  assert.deepEqual(salvageProblems(map, touchedPages(snap, damaged, 4096), keys, damaged), []);
  assert.equal(keys.size, 47);
});
