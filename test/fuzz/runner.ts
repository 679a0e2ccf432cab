/**
 * Runs one fuzz target over inputs `from..from+runs-1` of a seed, in this thread. The oracle: each
 * input gives a value or a K8sEncError (or the decoder's own typed error, see targets.ts), and
 * finishes within the time limit. Hangs, crashes and runaway memory are caught one level up, by
 * the campaign runner that runs this in a worker thread (scripts/fuzz.ts).
 */
import { K8sEncError } from '../../src/errors.ts';
import { Rng } from './mutate.ts';
import type { FuzzTarget } from './targets.ts';

export interface FuzzFailure {
  index: number;
  input: Uint8Array;
  problem: string;
}

export interface RunOptions {
  seed: number;
  runs: number;
  from?: number;
  /** An input that takes longer fails (ms). */
  timeLimitMs: number;
  /** Told the index before each input runs, so a watchdog knows which one hung. */
  onInput?: (index: number) => void;
  onFailure?: (f: FuzzFailure) => void;
}

/** A stable per-target salt: the same seed gives different streams to different targets. */
export function targetSalt(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

export function inputAt<S>(target: FuzzTarget<S>, state: S, seed: number, index: number): Uint8Array {
  return target.input(state, new Rng(seed, index, targetSalt(target.name)));
}

/** Why `e` breaks the oracle, or null when it is an allowed, typed error. */
export function oracleProblem(target: FuzzTarget<never>, e: unknown): string | null {
  if (e instanceof K8sEncError) return null;
  if (target.typedErrors?.some((c) => e instanceof c)) return null;
  return `threw ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
}

async function timedRun<S>(target: FuzzTarget<S>, state: S, input: Uint8Array): Promise<{ problem: string | null; took: number }> {
  const start = performance.now();
  try {
    await target.run(state, input);
  } catch (e) {
    const problem = oracleProblem(target as FuzzTarget<never>, e);
    if (problem !== null) return { problem, took: performance.now() - start };
  }
  return { problem: null, took: performance.now() - start };
}

/**
 * Feeds one input; returns what broke the oracle, or null. A slow input is run again and fails only
 * if it is slow twice: on a shared machine a collection or the scheduler can stall one run for
 * seconds (the first campaign's two "slow" inputs took 0.4 and 36 ms when replayed).
 */
export async function runOne<S>(target: FuzzTarget<S>, state: S, input: Uint8Array, timeLimitMs: number): Promise<string | null> {
  const first = await timedRun(target, state, input);
  if (first.problem !== null || first.took <= timeLimitMs) return first.problem;
  const again = await timedRun(target, state, input);
  if (again.problem !== null || again.took <= timeLimitMs) return again.problem;
  return `took ${first.took.toFixed(0)} ms, then ${again.took.toFixed(0)} ms (limit ${timeLimitMs} ms)`;
}

export async function runTarget<S>(target: FuzzTarget<S>, state: S, o: RunOptions): Promise<{ runs: number; failures: FuzzFailure[] }> {
  const failures: FuzzFailure[] = [];
  const from = o.from ?? 0;
  for (let index = from; index < from + o.runs; index++) {
    o.onInput?.(index);
    const input = inputAt(target, state, o.seed, index);
    const problem = await runOne(target, state, input, o.timeLimitMs);
    if (problem !== null) {
      const f = { index, input, problem };
      failures.push(f);
      o.onFailure?.(f);
    }
  }
  return { runs: o.runs, failures };
}
