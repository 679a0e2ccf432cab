// Pass 1 in shares (src/etcd/plan-shares.ts): merged, the shares must give exactly the plan of one
// pass, on a real etcd snapshot with updates and deletes (vectors/salvage) at every revision, and
// the merge rules (newest wins, deletes, orphan cap) hold on hand-made shares.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { MAX_ORPHANS } from '../src/etcd/mvcc/key-index.ts';
import { unpackLocations } from '../src/etcd/packed-locations.ts';
import { mergeShares, type PlanShare } from '../src/etcd/plan-shares.ts';
import { openSnapshot, type ScanPlan, type SnapshotSource } from '../src/etcd/snapshot.ts';
import { SALVAGE_SNAPSHOT, salvageHistory } from './support/salvage-fixture.ts';

/** Plans compared as plain data: an error by its code, message and page. */
function plain(p: ScanPlan): unknown {
  const err = (e: K8sEncError | undefined) => (e === undefined ? undefined : { code: e.code, message: e.message, page: e.page });
  return { problems: p.problems.map(err), locations: p.locations.map((l) => ({ ...l, error: err(l.error) })) };
}

async function sharedPlan(src: SnapshotSource, prefix: Uint8Array, count: number, revision?: number): Promise<ScanPlan | null> {
  const split = await src.planShares(count, revision === undefined ? {} : { revision });
  if (split === null) return null;
  const merged = await src.mergeShares(split.subtrees.map((subtrees) => src.planShare(prefix, split.revision, subtrees)));
  return { problems: merged.problems, locations: unpackLocations(merged.locations) };
}

test('vectors/salvage: shares merged equal one pass, for 2 to 6 shares and one per root child, every prefix and revision', async () => {
  const revisions = [...new Set(salvageHistory().map((h) => h.revision))];
  const src = await openSnapshot(SALVAGE_SNAPSHOT);
  try {
    const { revision: current } = await src.info();
    let compared = 0;
    // 100 asks for more shares than the root's 28 children: one share per child.
    for (const count of [2, 3, 4, 6, 100]) {
      for (const prefix of ['', '/registry/', '/registry/secrets/', '/registry/configmaps/', '/nothing/']) {
        for (const revision of [undefined, ...revisions.filter((r) => r <= current)]) {
          const wanted = revision === undefined ? {} : { revision };
          const shared = await sharedPlan(src, utf8(prefix), count, revision);
          assert.ok(shared !== null, `the fixture's key bucket splits into ${count}`);
          assert.deepEqual(plain(shared), plain(await src.plan(utf8(prefix), wanted)), `${count} shares, ${prefix}, revision ${revision}`);
          compared++;
        }
      }
    }
    assert.ok(compared > 100);
    assert.equal((await src.planShares(100))?.subtrees.length, 28, 'one share per root child');
    assert.deepEqual(
      (await src.planShares(100))?.subtrees.flat(),
      (await src.planShares(2))?.subtrees.flat(),
      'every child once, in order',
    );
    // The revision is checked as plan checks it.
    await assert.rejects(src.planShares(2, { revision: current + 1 }), { code: 'ERR_ETCD_FUTURE_REVISION' });
  } finally {
    await src.close();
  }
});

test('a damaged leaf fails a share as it fails one pass', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-shares-'));
  try {
    const bytes = readFileSync(SALVAGE_SNAPSHOT);
    const pageSize = 4096;
    // A leaf page of the key bucket: the one holding the newest revision, found as the reader finds it.
    const clean = await openSnapshot(SALVAGE_SNAPSHOT);
    const plan = await clean.plan(new Uint8Array(0));
    await clean.close();
    const page = plan.locations[plan.locations.length - 1]!.page;
    bytes.fill(0, page * pageSize, (page + 1) * pageSize);
    const path = join(dir, 'damaged.db');
    writeFileSync(path, bytes);
    const src = await openSnapshot(path, { skipHashCheck: true });
    try {
      const one = await src.plan(new Uint8Array(0)).then(
        () => null,
        (e: K8sEncError) => e,
      );
      const shared = await sharedPlan(src, new Uint8Array(0), 3).then(
        () => null,
        (e: K8sEncError) => e,
      );
      assert.ok(one instanceof K8sEncError && shared instanceof K8sEncError);
      assert.deepEqual([shared.code, shared.message], [one.code, one.message]);
      assert.match(one.message, new RegExp(`page ${page}`));
    } finally {
      await src.close();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

/** A share of hand-made entries: [name, main, sub, tombstone?]. */
function share(entries: [string, number, number, boolean?][], orphans = 0, droppedOrphans = 0): PlanShare {
  const sorted = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const numbers = new Float64Array(sorted.length * 7);
  sorted.forEach(([, main, sub, dead], i) => numbers.set([main, sub, 2 + i, 0, 4096 * (2 + i), 10, dead ? 1 : 0], i * 7));
  return {
    names: sorted.map((e) => e[0]),
    numbers,
    errors: [],
    orphans: Array.from({ length: orphans }, (_, i) => ({ code: 'ERR_ETCD_CORRUPT' as const, message: `orphan ${i}` })),
    droppedOrphans,
  };
}

/** The merged locations as objects. */
const merged = (shares: PlanShare[]) => unpackLocations(mergeShares(shares).locations);

test('merge: the newest revision of a key wins, a later share wins a tie, a newer delete removes the key', () => {
  const a = share([
    ['/a', 5, 0],
    ['/b', 9, 0],
    ['/c', 3, 0],
    ['/d', 4, 0],
  ]);
  const b = share([
    ['/a', 7, 1],
    ['/b', 8, 0],
    ['/c', 6, 0, true],
    ['/d', 4, 0],
    ['/e', 1, 0],
  ]);
  const got = merged([a, b]).map((l) => [l.name, l.main, l.sub, l.page]);
  // /a from b (7_1 > 5_0), /b from a (9 > 8), /c deleted at 6 in b, /d a tie: b's copy (its page 5), /e only in b.
  assert.deepEqual(got, [
    ['/a', 7, 1, 2],
    ['/b', 9, 0, 3],
    ['/d', 4, 0, 5],
    ['/e', 1, 0, 6],
  ]);
  // An older delete does not remove a newer put.
  const c = share([['/k', 2, 0, true]]);
  const d = share([['/k', 3, 0]]);
  assert.deepEqual(
    merged([d, c]).map((l) => l.name),
    ['/k'],
  );
});

test('merge: orphans in share order, capped as one pass caps them, the rest counted', () => {
  const { problems } = mergeShares([share([], MAX_ORPHANS - 10), share([], 30, 5)]);
  assert.equal(problems.length, MAX_ORPHANS + 1);
  assert.equal(problems[MAX_ORPHANS - 10]!.message, 'orphan 0');
  assert.equal(problems[MAX_ORPHANS]!.message, `${20 + 5} more key bucket entries could not be read`);
  const empty = mergeShares([share([]), share([])]);
  assert.deepEqual([empty.problems, unpackLocations(empty.locations)], [[], []]);
});
