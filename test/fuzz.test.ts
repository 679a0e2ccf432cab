// Every fuzz target (test/fuzz/targets.ts) at a small fixed seed and count: each input gives a
// value or a typed error, in time. The long campaign is `npm run fuzz` (see README). Inputs that
// once failed are kept in test/fuzz/regressions/<target>/ and replayed here.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Rng, mutate } from './fuzz/mutate.ts';
import { runOne, runTarget } from './fuzz/runner.ts';
import { scratchPath, TARGETS } from './fuzz/targets.ts';

const SEED = 20261206;
const TIME_LIMIT_MS = 10_000;
const REGRESSIONS = 'test/fuzz/regressions';

after(() => rmSync(scratchPath(), { force: true }));

describe('fuzz targets at a fixed seed', () => {
  for (const target of TARGETS) {
    test(`${target.name}: ${target.testRuns} inputs (${target.what})`, async () => {
      const state = await target.setup();
      const { failures } = await runTarget(target, state, { seed: SEED, runs: target.testRuns, timeLimitMs: TIME_LIMIT_MS });
      assert.deepEqual(failures.map((f) => `input ${f.index}: ${f.problem}`), []);
    });

    const dir = join(REGRESSIONS, target.name);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.bin')).sort()) {
      test(`${target.name}: regression ${file}`, async () => {
        const problem = await runOne(target, await target.setup(), new Uint8Array(readFileSync(join(dir, file))), TIME_LIMIT_MS);
        assert.equal(problem, null);
      });
    }
  }

  test('the same seed and index give the same input; mutations change their seed input', () => {
    const base = new Uint8Array(64).fill(7);
    const a = mutate(new Rng(5, 9), base);
    assert.deepEqual(mutate(new Rng(5, 9), base), a);
    let changed = 0;
    for (let i = 0; i < 50; i++) if (!Buffer.from(mutate(new Rng(5, i), base)).equals(base)) changed++;
    assert.ok(changed >= 45, `${changed} of 50 mutations changed the input`);
  });
});
