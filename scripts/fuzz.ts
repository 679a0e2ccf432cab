/**
 * The fuzz campaign: `npm run fuzz [-- --runs N --seed S --target T --from I --time-limit MS]`.
 * Each target runs in a worker thread with a heap limit; a watchdog ends a worker whose input
 * runs past the time limit (a hang), records that input and goes on after it. A failing input is
 * written to fuzz-failures/<target>/ so it can become a regression test (test/fuzz/regressions/).
 * Prints one line per target, then `N passed, N failed` (targets).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { TARGETS } from '../test/fuzz/targets.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    target: { type: 'string', multiple: true },
    from: { type: 'string', default: '0' },
    'time-limit': { type: 'string', default: '5000' },
    'heap-mb': { type: 'string', default: '512' },
    out: { type: 'string', default: 'fuzz-failures' },
    /** All targets at once, each in its own worker (for a long campaign). */
    parallel: { type: 'boolean', default: false },
    /** Seconds between progress lines on stderr (0: none). */
    'progress-every': { type: 'string', default: '0' },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
const from = Number(values.from);
const timeLimitMs = Number(values['time-limit']);
const heapMb = Number(values['heap-mb']);
const wanted = values.target ?? TARGETS.map((t) => t.name);
for (const w of wanted) {
  if (!TARGETS.some((t) => t.name === w)) {
    process.stderr.write(`unknown target ${JSON.stringify(w)}; targets: ${TARGETS.map((t) => t.name).join(', ')}\n`);
    process.exit(2);
  }
}

interface Outcome {
  done: number;
  failures: { index: number; problem: string }[];
}

function startWorker(name: string, start: number, count: number, shared: SharedArrayBuffer): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('../test/fuzz/worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, {
    eval: true,
    workerData: { name, seed, from: start, runs: count, timeLimitMs, shared },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    stdout: true,
  });
}

function keep(name: string, index: number, input: Uint8Array, problem: string): void {
  const dir = join(values.out!, name);
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `seed-${seed}-index-${index}`);
  writeFileSync(`${base}.bin`, input);
  writeFileSync(`${base}.txt`, `${problem}\n`);
}

/** Runs inputs from..end of one target, restarting after an input that hangs or kills the worker. */
async function campaign(name: string): Promise<Outcome> {
  const out: Outcome = { done: 0, failures: [] };
  const every = Number(values['progress-every']) * 1000;
  let progress: Int32Array | null = null;
  const started = Date.now();
  const ticker =
    every > 0
      ? setInterval(() => {
          const at = progress === null ? from : Atomics.load(progress, 0);
          const secs = ((Date.now() - started) / 1000).toFixed(0);
          process.stderr.write(`progress ${name}: ${Math.max(0, at - from)} inputs, ${out.failures.length} failures, ${secs} s\n`);
        }, every)
      : null;
  try {
    await runInputs(name, out, (p) => (progress = p));
  } finally {
    if (ticker !== null) clearInterval(ticker);
  }
  return out;
}

async function runInputs(name: string, out: Outcome, watch: (p: Int32Array) => void): Promise<void> {
  const end = from + runs;
  let next = from;
  while (next < end) {
    const shared = new SharedArrayBuffer(4);
    const progress = new Int32Array(shared);
    progress[0] = next - 1;
    watch(progress);
    const worker = startWorker(name, next, end - next, shared);
    const result = await new Promise<{ kind: 'done' } | { kind: 'died'; at: number; problem: string }>((resolve) => {
      let seen = -2;
      let since = Date.now();
      let tick = Date.now();
      // Setup (loading seeds) may take a while: the clock starts with the first input.
      const watchdog = setInterval(() => {
        const at = Atomics.load(progress, 0);
        // A tick seconds late means this whole process was stopped (SIGSTOP by a benchmark run,
        // a suspended VM), the worker with it: that time does not count against the input.
        const late = Date.now() - tick - 250;
        tick = Date.now();
        if (late > 2000) since += late;
        if (at !== seen) {
          seen = at;
          since = Date.now();
        } else if (at >= next && Date.now() - since > timeLimitMs * 6) {
          // Six limits: runOne already re-runs a slow input once, and a loaded machine stalls threads.
          void worker.terminate();
          resolve({ kind: 'died', at, problem: `hung: no progress for ${Date.now() - since} ms` });
        }
      }, 250);
      worker.on('message', (m: { type: string; index: number; input: Uint8Array; problem: string }) => {
        if (m.type === 'failure') {
          out.failures.push({ index: m.index, problem: m.problem });
          keep(name, m.index, m.input, m.problem);
        } else if (m.type === 'done') resolve({ kind: 'done' });
      });
      worker.on('error', (e) => resolve({ kind: 'died', at: Atomics.load(progress, 0), problem: `worker died: ${e.message}` }));
      worker.on('exit', (code) => resolve({ kind: 'died', at: Atomics.load(progress, 0), problem: `worker exited with code ${code}` }));
      worker.once('exit', () => clearInterval(watchdog));
    });
    if (result.kind === 'done') {
      out.done = end - from;
      await worker.terminate();
      break;
    }
    // The input being run when the worker hung or died is a failure; go on after it.
    const at = Math.max(result.at, next);
    out.failures.push({ index: at, problem: result.problem });
    const { inputAt } = await import('../test/fuzz/runner.ts');
    const target = TARGETS.find((t) => t.name === name)!;
    keep(name, at, inputAt(target, await target.setup(), seed, at), result.problem);
    next = at + 1;
    out.done = next - from;
  }
}

let passed = 0;
let failed = 0;
/** Runs one target and prints its line as soon as it is done (in --parallel, in the order they finish). */
const runAndReport = async (name: string): Promise<void> => {
  const t0 = Date.now();
  const o = await campaign(name);
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  const first = o.failures[0];
  const line = `${name}: ${o.done} inputs, ${o.failures.length} failures, ${secs} s (seed ${seed}, from ${from})`;
  process.stdout.write(line + (first ? ` — first: index ${first.index}: ${first.problem.split('\n')[0]}` : '') + '\n');
  if (o.failures.length === 0) passed++;
  else failed++;
};
if (values.parallel) await Promise.all(wanted.map(runAndReport));
else for (const name of wanted) await runAndReport(name);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exitCode = failed > 0 ? 1 : 0;
