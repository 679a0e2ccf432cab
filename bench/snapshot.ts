/**
 * The scan benchmarks: `k8s-enc verify` and `k8s-enc get secrets -A -o ndjson` over a snapshot of
 * 100,000 aesgcm Secrets (bench/snapshot-build.ts), each run as its own process as a user would,
 * output to /dev/null, interleaved with bench/go's scan of the same file (the Go baseline). Wall
 * time includes Node's start-up; peak RSS comes from GNU time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { goBenchBinary } from './go-baseline.ts';
import { benchSnapshot, WORK_DIR, type BenchSnapshot } from './snapshot-build.ts';
import type { Row } from './results.ts';

const TIME = '/usr/bin/time';
const DIST = `${WORK_DIR}dist/`;

/**
 * The compiled CLI, built into bench/.work/dist so that the repository's dist/ (which bin/k8s-enc.js
 * prefers) is left alone; tsx when the build fails.
 */
export function cliCommand(log: (s: string) => void): { argv: string[]; how: string } {
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', DIST], { stdio: 'ignore' });
  } catch {
    // tsc exits non-zero on type errors but still emits; the check below decides.
  }
  if (existsSync(`${DIST}cli/main.js`)) {
    // main.js exports main(); bin/k8s-enc.js calls it (and picks ./dist, not this build). `node -e` argv has no script.
    return {
      argv: [
        process.execPath,
        '--input-type=module',
        '-e',
        `await (await import(${JSON.stringify(`${DIST}cli/main.js`)})).main(process.argv.slice(1))`,
      ],
      how: 'node (built)',
    };
  }
  log('build failed: running the CLI through tsx');
  return { argv: [process.execPath, '--import', 'tsx', 'src/cli/main.ts'], how: 'node (tsx)' };
}

export interface Measured {
  ms: number;
  rssMB: number;
  code: number;
}

/** One run with stdout to `out` (default /dev/null); time(1) writes its numbers to a file. */
export function measure(argv: string[], out = '/dev/null', env: Record<string, string> = {}): Promise<Measured> {
  const timeFile = `${WORK_DIR}time.txt`;
  const fd = openSync(out, 'w');
  const started = performance.now();
  const useTime = existsSync(TIME);
  const cmd = useTime ? [TIME, '-o', timeFile, '-f', '%M', ...argv] : argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0]!, cmd.slice(1), {
      stdio: ['ignore', fd, 'inherit'],
      env: { ...process.env, NODE_ENV: 'production', ...env },
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      closeSync(fd);
      const kb = useTime ? Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop()) : NaN;
      resolve({ ms, rssMB: Math.round(kb / 102.4) / 10, code: code ?? -1 });
    });
  });
}

/**
 * Each command's runs interleaved (A B C A B C …) so that a busy spell on the shared machine hits
 * them all alike; per command the median wall time and the highest peak RSS.
 */
async function alternating(cmds: { argv: string[]; env: Record<string, string> }[], reps: number): Promise<Measured[]> {
  const runs: Measured[][] = cmds.map(() => []);
  for (let i = 0; i < reps; i++) {
    for (const [c, cmd] of cmds.entries()) runs[c]!.push(await measure(cmd.argv, '/dev/null', cmd.env));
  }
  return runs.map((ms) => {
    const sorted = ms.map((m) => m.ms).sort((a, b) => a - b);
    const failed = ms.find((m) => m.code !== 0);
    return { ms: sorted[(sorted.length - 1) >> 1]!, rssMB: Math.max(...ms.map((m) => m.rssMB)), code: failed?.code ?? 0 };
  });
}

/** Line count and last line of a file, streamed: a 2 GiB snapshot's output is more than a string holds. */
function tail(path: string): { lines: number; last: string; sha256: string } {
  const fd = openSync(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let lines = 0;
  let last = '';
  let carry = Buffer.alloc(0); // the unfinished line at the end of what was read so far
  const hash = createHash('sha256');
  try {
    for (let n: number; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
      const chunk = buf.subarray(0, n);
      hash.update(chunk);
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      const nl = chunk.lastIndexOf(10);
      if (nl < 0) {
        carry = Buffer.concat([carry, chunk]);
        continue;
      }
      const before = nl === 0 ? -1 : chunk.lastIndexOf(10, nl - 1);
      last = (before >= 0 ? chunk.subarray(before + 1, nl) : Buffer.concat([carry, chunk.subarray(0, nl)])).toString('utf8');
      carry = Buffer.from(chunk.subarray(nl + 1));
    }
  } finally {
    closeSync(fd);
  }
  return { lines, last: carry.length > 0 ? carry.toString('utf8') : last, sha256: hash.digest('hex') };
}

/** A run of each whose output is read back: what the timed runs print must be the whole snapshot, read fine. */
async function checkOutputs(verify: string[], get: string[], snap: BenchSnapshot, who: string): Promise<string> {
  const out = `${WORK_DIR}check.out`;
  const v = await measure(verify, out);
  const summary = (JSON.parse(tail(out).last) as { summary: { keys: number; ok: number } }).summary;
  if (v.code !== 0 || summary.keys !== snap.secrets || summary.ok !== snap.secrets) {
    throw new Error(`${who}: verify check failed: exit ${v.code}, summary ${JSON.stringify(summary)}`);
  }
  const g = await measure(get, out);
  const objects = tail(out);
  const last = JSON.parse(objects.last) as { kind: string; metadata: { name: string } };
  if (g.code !== 0 || objects.lines !== snap.secrets || last.kind !== 'Secret') {
    throw new Error(`${who}: get check failed: exit ${g.code}, ${objects.lines} objects`);
  }
  unlinkSync(out);
  return objects.sha256;
}

/** bench/go's scan of the same file: `-scan verify|get` in place of the CLI's words. */
function goScan(bin: string, op: 'verify' | 'get', snap: BenchSnapshot): string[] {
  return [bin, '-procs', '1', '-scan', op, '-snapshot', snap.path, '-config', snap.configPath];
}

export async function runSnapshot(opts: { secrets: number; size: number; reps: number; etcdArgs?: string[] }): Promise<Row[]> {
  const log = (s: string) => console.log(`snapshot: ${s}`);
  const snap = await benchSnapshot(opts.secrets, opts.size, log, { etcdArgs: opts.etcdArgs ?? [] });
  const { argv: cli, how } = cliCommand(log);
  const source = ['--snapshot', snap.path, '-c', snap.configPath];
  const commands = [
    {
      name: `verify -o ndjson, snapshot ${Math.floor(statSync(snap.path).size / 2 ** 20)} MiB`,
      op: 'verify',
      args: ['verify', ...source, '-o', 'ndjson'],
    },
    { name: 'get secrets -A -o ndjson', op: 'get', args: ['get', 'secrets', '-A', ...source, '-o', 'ndjson'] },
  ] as const;
  const ours = (args: readonly string[]) => [...cli, ...args];
  const ourObjects = await checkOutputs(ours(commands[0].args), ours(commands[1].args), snap, 'k8s-enc');
  const goBin = goBenchBinary();
  // The baseline does the same work: its `get` prints the same bytes (encoding/json with sorted keys).
  if (goBin !== null && (await checkOutputs(goScan(goBin, 'verify', snap), goScan(goBin, 'get', snap), snap, 'go scan')) !== ourObjects) {
    throw new Error('go scan: get printed other bytes than k8s-enc get');
  }
  // Go (one thread), the default (one scan thread per core: this one and a worker each for the
  // others) and the single-thread scan, interleaved.
  type Variant = { label: string; argv: (c: (typeof commands)[number]) => string[]; env: Record<string, string>; backend: string };
  const variants: Variant[] = [
    ...(goBin === null
      ? []
      : [
          { label: 'Go, bbolt, 1 thread', argv: (c: (typeof commands)[number]) => goScan(goBin, c.op, snap), env: {}, backend: 'go-bbolt' },
        ]),
    { label: `${availableParallelism()} threads`, argv: (c) => ours(c.args), env: {}, backend: how },
    { label: '1 thread', argv: (c) => ours(c.args), env: { K8S_ENC_WORKERS: '1' }, backend: how },
  ];
  const rows: Row[] = [];
  for (const c of commands) {
    const measured = await alternating(
      variants.map((v) => ({ argv: v.argv(c), env: v.env })),
      opts.reps,
    );
    variants.forEach((v, i) => {
      const m = measured[i]!;
      if (m.code !== 0) throw new Error(`${v.label}: ${c.op} exited with ${m.code}`);
      const name = `${c.name} (${v.label})`;
      rows.push({
        name,
        provider: 'aesgcm',
        op: c.op,
        backend: v.backend,
        values: snap.secrets,
        bytes: snap.valueBytes,
        ms: m.ms,
        rssMB: m.rssMB,
      });
    });
  }
  return rows;
}
