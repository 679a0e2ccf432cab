/**
 * The "nice to have" list of issue #9: kubectl's `secrets/name`, `verify --failures-only`, a
 * progress line with a total and an ETA (the key count is known after pass 1), table columns as
 * wide as the configuration's key names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { startProgress } from '../src/cli/progress.ts';
import type { CliIo } from '../src/cli/io.ts';
import { utf8 } from '../src/bytes.ts';
import { runCli } from './support/cli-io.ts';

const SAMPLE = ['--snapshot', 'vectors/sample/snapshot.db', '-c', 'vectors/sample/encryption-config.yaml'];

test("get secrets/NAME is kubectl's spelling of get secrets NAME", async () => {
  const list = await runCli(['get', 'secrets', '-A', ...SAMPLE, '-o', 'ndjson']);
  const first = JSON.parse(list.out.split('\n')[0]!) as { metadata: { name: string; namespace: string } };
  const a = await runCli(['get', `secrets/${first.metadata.name}`, '-n', first.metadata.namespace, ...SAMPLE]);
  const b = await runCli(['get', 'secrets', first.metadata.name, '-n', first.metadata.namespace, ...SAMPLE]);
  assert.equal(a.code, 0, a.err);
  assert.equal(a.out, b.out);
  const both = await runCli(['get', `secrets/${first.metadata.name}`, 'extra', ...SAMPLE]);
  assert.equal(both.code, 2);
});

test('verify --failures-only prints only the failed records; the summary still counts all', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-extras-'));
  try {
    const text = await readFile('vectors/sample/encryption-config.yaml', 'utf8');
    const [s1, s2] = [...text.matchAll(/secret: (\S+)/g)].map((m) => m[1]!);
    const swapped = join(dir, 'swapped.yaml');
    await writeFile(swapped, text.replace(s1!, 'S1').replace(s2!, s1!).replace('S1', s2!));
    const src = ['--snapshot', 'vectors/sample/snapshot.db', '-c', swapped];
    const all = await runCli(['verify', ...src, '-o', 'ndjson']);
    const only = await runCli(['verify', ...src, '-o', 'ndjson', '--failures-only']);
    assert.equal(only.code, all.code);
    const recs = (r: string) =>
      r
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { status?: string; summary?: unknown });
    const failed = recs(all.out).filter((r) => r.status === 'error');
    assert.ok(failed.length > 0);
    assert.deepEqual(
      recs(only.out).filter((r) => r.summary === undefined),
      failed,
    );
    assert.deepEqual(recs(only.out).at(-1), recs(all.out).at(-1), 'same summary');
    for (const workers of ['1', '2']) {
      const table = await runCli(['verify', ...src, '--failures-only', '--workers', workers]);
      assert.ok(!table.out.split('\n').some((l) => /^(ok|plaintext) /.test(l)), table.out);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('progress: a total and an ETA once the total is known', async () => {
  let now = 0;
  const err: string[] = [];
  const io: CliIo = {
    stdout: { write: () => {} },
    stderr: { write: (c) => void err.push(String(c)) },
    readStdin: async () => new Uint8Array(),
    stderrIsTTY: true,
  };
  const p = startProgress(io, 'verifying', () => now);
  p.setTotal!(400);
  for (let i = 0; i < 100; i++) p.tick();
  now = 2000;
  await p.note('x');
  p.tick();
  now = 2500;
  await new Promise((r) => setTimeout(r, 250));
  await p.done();
  const drawn = err.join('');
  assert.match(drawn, /101\/400 keys/);
  assert.match(drawn, /ETA \d+s/);
});

test('a snapshot scan reports its key count once pass 1 is done', async () => {
  const source = await openSnapshot('vectors/sample/snapshot.db');
  try {
    const totals: number[] = [];
    let seen = 0;
    for await (const _ of source.scan(utf8('/registry/'), { onTotal: (n) => totals.push(n) })) seen++;
    assert.deepEqual(totals, [seen]);
  } finally {
    await source.close();
  }
});

test('verify table columns are as wide as the configured key names', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-extras-'));
  try {
    const text = await readFile('vectors/sample/encryption-config.yaml', 'utf8');
    const long = 'a-rather-long-key-name-2024';
    const cfg = join(dir, 'long.yaml');
    await writeFile(cfg, text.replace(/name: key1\b/, `name: ${long}`));
    const r = await runCli(['verify', '--snapshot', 'vectors/sample/snapshot.db', '-c', cfg]);
    const lines = r.out.split('\n');
    const header = lines[0]!;
    const keyCol = header.indexOf('KEY-NAME');
    const staleCol = header.indexOf('STALE');
    assert.ok(staleCol - keyCol > long.length, header);
    for (const l of lines.slice(1).filter((x) => /^(ok|plaintext|error) /.test(x))) {
      assert.equal(l[staleCol - 1], ' ', `columns line up: ${l}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
