import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import { packLocations, runsOf, unpackLocations } from '../src/etcd/packed-locations.ts';
import type { ValueLocation } from '../src/etcd/snapshot.ts';
import { K8sEncError } from '../src/errors.ts';

const location = fc.record({
  name: fc.string({ maxLength: 12 }),
  page: fc.nat(1 << 20),
  index: fc.nat(200),
  offset: fc.integer({ min: -1, max: 2 ** 40 }),
  size: fc.nat(3 << 20),
  main: fc.nat(2 ** 40),
  sub: fc.nat(100),
  failed: fc.boolean(),
});

function locationsOf(raw: { failed: boolean; name: string }[]): ValueLocation[] {
  return raw.map(({ failed, ...l }, i) => ({
    ...(l as Omit<ValueLocation, 'error'>),
    ...(failed && { error: new K8sEncError('ERR_ETCD_CORRUPT', `entry ${i} of ${l.name}`, { page: i }) }),
  }));
}

/** Locations compared as plain data: an error by its code, message and page. */
const plain = (locs: ValueLocation[]) => locs.map((l) => ({ ...l, error: l.error && [l.error.code, l.error.message, l.error.page] }));

/** The chunking rule written out over objects, as the single-thread scans cut values. */
function oracleRuns(locs: ValueLocation[], count: number, bytes: number): ValueLocation[][] {
  const runs: ValueLocation[][] = [];
  let run: ValueLocation[] = [];
  let weight = 0;
  for (const l of locs) {
    run.push(l);
    if (l.error === undefined) weight += l.size;
    if (run.length === count || weight >= bytes) {
      runs.push(run);
      [run, weight] = [[], 0];
    }
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

test('packed locations unpack to what was packed, errors included', () => {
  fc.assert(
    fc.property(fc.array(location, { maxLength: 60 }), (raw) => {
      const locs = locationsOf(raw);
      assert.deepEqual(plain(unpackLocations(packLocations(locs))), plain(locs));
    }),
  );
});

test('runsOf cuts runs as the single-thread scan cuts chunks: by count and stored bytes, failed entries weightless', () => {
  fc.assert(
    fc.property(fc.array(location, { maxLength: 80 }), fc.integer({ min: 1, max: 9 }), fc.nat(8 << 20), (raw, count, bytes) => {
      const locs = locationsOf(raw);
      const runs = [...runsOf(packLocations(locs), count, bytes)].map(unpackLocations);
      assert.deepEqual(runs.map(plain), oracleRuns(locs, count, bytes).map(plain));
    }),
  );
});
