/**
 * `--workers N` / K8S_ENC_WORKERS (issue #9 item 3): a number a user mistypes is a usage error, and
 * no count starts more threads than the machine has cores or the scan has chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { readFile } from 'node:fs/promises';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { scanWorkerCount } from '../src/cli/scan-early.ts';
import { scanInWorkers } from '../src/cli/scan-parallel.ts';
import { utf8 } from '../src/bytes.ts';
import { runCli } from './support/cli-io.ts';

const SAMPLE = ['--snapshot', 'vectors/sample/snapshot.db', '-c', 'vectors/sample/encryption-config.yaml'];

test('--workers abc, 0, -3, 1.5, 1e3 and an empty value are usage errors (exit 2), for get and verify', async () => {
  for (const bad of ['abc', '0', '-3', '1.5', '1e3', '', ' 2']) {
    for (const cmd of [['verify'], ['get', 'secrets', '-A', '-o', 'ndjson']]) {
      const r = await runCli([...cmd, ...SAMPLE, `--workers=${bad}`]);
      assert.equal(r.code, 2, `${cmd[0]} --workers=${JSON.stringify(bad)}: ${r.err}`);
      assert.match(r.err, /--workers/);
      assert.equal(r.out, '');
    }
  }
});

test('K8S_ENC_WORKERS=abc is a usage error naming the variable; a good flag still wins over it', async () => {
  const saved = process.env.K8S_ENC_WORKERS;
  try {
    process.env.K8S_ENC_WORKERS = 'abc';
    const r = await runCli(['verify', ...SAMPLE]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /K8S_ENC_WORKERS/);
    const ok = await runCli(['verify', ...SAMPLE, '--workers', '1']);
    assert.equal(ok.code, 0, ok.err);
  } finally {
    if (saved === undefined) delete process.env.K8S_ENC_WORKERS;
    else process.env.K8S_ENC_WORKERS = saved;
  }
});

test('--workers 1000 is capped at the cores', () => {
  assert.equal(scanWorkerCount('get', '1000'), availableParallelism());
  assert.equal(scanWorkerCount('get', '1'), 1);
  assert.equal(scanWorkerCount('get', String(Number.MAX_SAFE_INTEGER)), availableParallelism());
});

test('never more scan threads than chunks: the 8-value sample (one chunk) starts no worker thread however many are asked', async () => {
  const config = parseEncryptionConfig(await readFile('vectors/sample/encryption-config.yaml'));
  const source = await openSnapshot('vectors/sample/snapshot.db');
  const started: number[] = [];
  try {
    const job = { kind: 'verify', format: 'ndjson', snapshot: 'vectors/sample/snapshot.db', config, etcdPrefix: '/registry' } as const;
    let chunks = 0;
    for await (const _ of scanInWorkers(source, utf8('/registry/'), undefined, job, 8, { onStart: (n) => started.push(n) })) chunks++;
    assert.equal(chunks, 1);
    assert.deepEqual(started, [], 'its one chunk runs on the main thread');
  } finally {
    await source.close();
  }
});
