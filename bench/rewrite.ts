/**
 * The rotation benchmarks: `k8s-enc rewrite` of the snapshot suite's 100,000 aesgcm Secrets after a
 * new first key was added (so every value is stale), offline into a new snapshot (plain and
 * --compact) and live against an etcd restored from that snapshot. Each run is its own process (the
 * built CLI, as in bench/snapshot.ts); wall time includes Node's start-up, peak RSS from GNU time.
 * Every result is checked: the rewritten snapshot or etcd must then be all fresh under the new key.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { startEtcd } from '../test/support/etcd-server.ts';
import type { Row } from './results.ts';
import { cliCommand, measure } from './snapshot.ts';
import { benchSnapshot, WORK_DIR } from './snapshot-build.ts';

/** The bench config with a new key `key2` in front of `key1`: the rotation every value must follow. */
function rotatedConfig(configPath: string): string {
  const text = readFileSync(configPath, 'utf8');
  const newKey = Buffer.alloc(32, 0x5a).toString('base64');
  const rotated = text.replace('          keys:\n', `          keys:\n            - {name: key2, secret: ${newKey}}\n`);
  if (rotated === text) throw new Error(`rewrite bench: cannot add a key to ${configPath}`);
  const path = `${WORK_DIR}rotated-config.yaml`;
  writeFileSync(path, rotated, { mode: 0o600 });
  return path;
}

/** Runs `args` once more with output captured and demands its summary line. */
async function expectSummary(cli: string[], args: string[], want: RegExp, what: string): Promise<void> {
  const out = `${WORK_DIR}rewrite-check.out`;
  const m = await measure([...cli, ...args], out);
  const text = readFileSync(out, 'utf8');
  rmSync(out, { force: true });
  if (m.code !== 0 || !want.test(text)) throw new Error(`rewrite bench: ${what}: exit ${m.code}, output ${text.slice(-300)}`);
}

export async function runRewrite(opts: { secrets: number; size: number; reps: number }): Promise<Row[]> {
  const log = (s: string) => console.log(`rewrite: ${s}`);
  const snap = await benchSnapshot(opts.secrets, opts.size, log);
  const { argv: cli, how } = cliCommand(log);
  const config = rotatedConfig(snap.configPath);
  const all = new RegExp(`${snap.secrets} values: ${snap.secrets} rewritten, 0 already fresh, 0 failed`);
  const none = new RegExp(`${snap.secrets} values: 0 rewritten, ${snap.secrets} already fresh, 0 failed`);
  const rows: Row[] = [];
  const row = (name: string, op: string, ms: number, rssMB: number): void => {
    rows.push({ name, provider: 'aesgcm', op, backend: how, values: snap.secrets, bytes: snap.valueBytes, ms, rssMB });
  };
  const mib = statSync(snap.path).size >> 20;

  for (const compact of [false, true]) {
    const out = `${WORK_DIR}rewritten.db`;
    const args = ['rewrite', '--snapshot', snap.path, '--out', out, '-c', config, ...(compact ? ['--compact'] : [])];
    let best = { ms: Infinity, rssMB: 0 };
    for (let i = 0; i < opts.reps; i++) {
      rmSync(out, { force: true });
      const m = await measure([...cli, ...args]);
      if (m.code !== 0) throw new Error(`rewrite bench: offline run exited with ${m.code}`);
      if (m.ms < best.ms) best = m;
    }
    // The result must be whole: a second rewrite over it finds every value fresh.
    await expectSummary(cli, ['rewrite', '--snapshot', out, '--out', `${out}.again`, '-c', config], none, 'rewritten snapshot not fresh');
    rmSync(`${out}.again`, { force: true });
    row(`rewrite --snapshot ${mib} MiB --out${compact ? ' --compact' : ''}`, 'rewrite', best.ms, best.rssMB);
    rmSync(out, { force: true });
  }

  // Live: one run per freshly restored etcd (a rewritten etcd has nothing left to rewrite).
  let best = { ms: Infinity, rssMB: 0 };
  for (let i = 0; i < Math.min(opts.reps, 2); i++) {
    const etcd = await startEtcd({ restoreFrom: snap.path, extraArgs: ['--quota-backend-bytes=8589934592'] });
    try {
      const args = ['rewrite', '--endpoints', etcd.endpoint, '-c', config];
      const out = `${WORK_DIR}rewrite-live.out`;
      const m = await measure([...cli, ...args], out);
      const text = readFileSync(out, 'utf8');
      rmSync(out, { force: true });
      if (m.code !== 0 || !all.test(text)) throw new Error(`rewrite bench: live run: exit ${m.code}, ${text.slice(-300)}`);
      if (m.ms < best.ms) best = m;
      if (i === 0) await expectSummary(cli, args, none, 'live etcd not fresh after the rewrite');
    } finally {
      await etcd.stop();
    }
  }
  row('rewrite --endpoints (etcd restored from the snapshot), batches of 64', 'rewrite', best.ms, best.rssMB);
  return rows;
}
