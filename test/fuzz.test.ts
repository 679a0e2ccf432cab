// Every fuzz target (test/fuzz/targets.ts) at a small fixed seed and count: each input gives a
// value or a typed error, in time. The long campaign is `npm run fuzz` (see README). Inputs that
// once failed are kept in test/fuzz/regressions/<target>/ and replayed here (whole snapshots as
// byte patches of vectors/salvage/snapshot.db).
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

/** A kept input: raw bytes, or (for whole snapshots) byte patches of a vectors/ file, cut to a length. */
function regressionInput(path: string): Uint8Array {
  if (path.endsWith('.bin')) return new Uint8Array(readFileSync(path));
  const p = JSON.parse(readFileSync(path, 'utf8')) as { base: string; length: number; patches: [number, string][] };
  const out = new Uint8Array(p.length);
  out.set(new Uint8Array(readFileSync(p.base)).subarray(0, p.length));
  for (const [at, hex] of p.patches) out.set(Buffer.from(hex, 'hex'), at);
  return out;
}

describe('fuzz targets at a fixed seed', () => {
  for (const target of TARGETS) {
    test(`${target.name}: ${target.testRuns} inputs (${target.what})`, async () => {
      const state = await target.setup();
      const { failures } = await runTarget(target, state, { seed: SEED, runs: target.testRuns, timeLimitMs: TIME_LIMIT_MS });
      assert.deepEqual(
        failures.map((f) => `input ${f.index}: ${f.problem}`),
        [],
      );
    });

    const dir = join(REGRESSIONS, target.name);
    if (!existsSync(dir)) continue;
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.bin') || f.endsWith('.patch.json'))
      .sort()) {
      test(`${target.name}: regression ${file}`, async () => {
        const problem = await runOne(target, await target.setup(), regressionInput(join(dir, file)), TIME_LIMIT_MS);
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
