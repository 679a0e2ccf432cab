/** One fuzz target in a worker thread (scripts/fuzz.ts): progress through a shared counter, failures as messages. */
import { parentPort, workerData } from 'node:worker_threads';
import { runTarget } from './runner.ts';
import { TARGETS } from './targets.ts';

const { name, seed, from, runs, timeLimitMs, shared } = workerData as {
  name: string;
  seed: number;
  from: number;
  runs: number;
  timeLimitMs: number;
  /** Int32 [0]: the index of the input being run. */
  shared: SharedArrayBuffer;
};
const progress = new Int32Array(shared);

const target = TARGETS.find((t) => t.name === name)!;
const state = await target.setup();
const result = await runTarget(target, state, {
  seed,
  from,
  runs,
  timeLimitMs,
  onInput: (i) => Atomics.store(progress, 0, i),
  onFailure: (f) => parentPort!.postMessage({ type: 'failure', index: f.index, input: f.input, problem: f.problem }),
});
parentPort!.postMessage({ type: 'done', runs: result.runs });
