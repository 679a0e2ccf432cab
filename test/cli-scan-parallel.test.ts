/**
 * The worker-thread scans (src/cli/scan-parallel.ts) print exactly what the single-thread scans
 * print: same stdout bytes, same stderr, same exit code, on the sample snapshot and on a real etcd
 * snapshot with thousands of values (several chunks per worker) and every kind of failure mixed in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransformer } from '../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { encodeObject } from '../src/storage/encode.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { SCAN_CHUNK_BYTES } from '../src/cli/chunks.ts';
import { runCli, type CliResult } from './support/cli-io.ts';
import { EtcdWriter, snapshotSave } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';

const SAMPLE = ['--snapshot', 'vectors/sample/snapshot.db', '-c', 'vectors/sample/encryption-config.yaml'];

async function sameForAnyWorkers(args: string[]): Promise<CliResult> {
  const single = await runCli([...args, '--workers', '1']);
  for (const workers of ['2', '3']) {
    const parallel = await runCli([...args, '--workers', workers]);
    assert.equal(parallel.code, single.code, `${args.join(' ')} --workers ${workers}: exit code`);
    assert.deepEqual(parallel.stdout, single.stdout, `${args.join(' ')} --workers ${workers}: stdout`);
    assert.equal(parallel.err, single.err, `${args.join(' ')} --workers ${workers}: stderr`);
  }
  return single;
}

test('sample snapshot: verify and get print the same bytes on 1, 2 and 3 workers', async () => {
  const v = await sameForAnyWorkers(['verify', ...SAMPLE, '-o', 'ndjson']);
  assert.equal(v.code, 0);
  assert.ok(v.out.split('\n').length > 3);
  await sameForAnyWorkers(['verify', ...SAMPLE]);
  const g = await sameForAnyWorkers(['get', 'secrets', '-A', ...SAMPLE, '-o', 'ndjson']);
  assert.ok(g.out.includes('"kind":"Secret"'));
  await sameForAnyWorkers(['get', 'secrets', '-A', ...SAMPLE, '-o', 'name']);
  await sameForAnyWorkers(['get', 'configmaps', '-A', ...SAMPLE, '-o', 'ndjson', '--for-restore']);
  // Printed a chunk at a time, not an object at a time.
  const one = await runCli(['get', 'secrets', '-A', ...SAMPLE, '-o', 'ndjson', '--workers', '1']);
  assert.ok(one.out.split('\n').length > 3);
  assert.equal(one.writes, 1);
});

test('a snapshot whose sha256 trailer is wrong prints nothing and writes no folder, on any workers (the hash runs beside pass 1)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-hash-'));
  try {
    const bytes = await readFile('vectors/sample/snapshot.db');
    bytes[bytes.length - 1]! ^= 1;
    const tampered = join(dir, 'tampered.db');
    await writeFile(tampered, bytes);
    const source = ['--snapshot', tampered, '-c', 'vectors/sample/encryption-config.yaml'];
    const outDir = join(dir, 'out');
    for (const args of [
      ['verify', ...source],
      ['verify', ...source, '-o', 'ndjson'],
      ['get', 'secrets', '-A', ...source, '-o', 'ndjson'],
      ['get', 'secrets', '-A', ...source, '--out', outDir],
    ]) {
      const r = await sameForAnyWorkers(args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.equal(r.out, '', args.join(' '));
      assert.match(r.err, /snapshot sha256 mismatch/);
    }
    await assert.rejects(stat(outDir), { code: 'ENOENT' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

const GCM_KEY = Buffer.alloc(32, 7).toString('base64');
const BOX_KEY = Buffer.alloc(32, 9).toString('base64');
const CONFIG = [
  'apiVersion: apiserver.config.k8s.io/v1',
  'kind: EncryptionConfiguration',
  'resources:',
  '  - resources: [secrets]',
  '    providers:',
  `      - aesgcm: {keys: [{name: key1, secret: ${GCM_KEY}}]}`,
  '      - identity: {}',
  '  - resources: [configmaps]',
  '    providers:',
  `      - secretbox: {keys: [{name: box1, secret: ${BOX_KEY}}]}`,
  '      - identity: {}',
  '',
].join('\n');

function object(kind: string, namespace: string, name: string, i: number): KubeObject {
  return {
    apiVersion: 'v1',
    kind,
    metadata: { name, namespace, uid: `uid-${i}`, creationTimestamp: '2024-01-02T03:04:05Z', labels: { n: String(i % 7) } },
    // ~2 KiB each, so the snapshot holds a chunk for each of 3 workers: the scans then split pass 1 between them.
    data: { v: Buffer.from(`value ${i} `.repeat(1 + (i % 40))).toString('base64'), pad: Buffer.alloc(1536, i % 251).toString('base64') },
  };
}

test('real snapshot with 2,600 values and failures mixed in: same output on 1, 2 and 3 workers', {
  skip: etcdSkipReason(),
  timeout: 180_000,
}, async () => {
  const work = await mkdtemp(join(tmpdir(), 'k8s-enc-scan-parallel-'));
  const etcd = await startEtcd();
  try {
    const configPath = join(work, 'config.yaml');
    await writeFile(configPath, CONFIG);
    const config = parseEncryptionConfig(CONFIG, configPath);
    const secrets = createTransformer(config, 'secrets');
    const configmaps = createTransformer(config, 'configmaps');
    const writer = await EtcdWriter.connect(etcd.endpoint);
    const want = { ok: 0, plaintext: 0, failed: 0 };
    const jobs: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 2200; i++) {
      const key = `/registry/secrets/team-${i % 13}/s-${i}`;
      const plain = encodeObject(object('Secret', `team-${i % 13}`, `s-${i}`, i));
      jobs.push(async () => {
        switch (i % 10) {
          case 0: // a wrong key's ciphertext: authentication fails
            want.failed++;
            return writer.put(key, Buffer.concat([Buffer.from('k8s:enc:aesgcm:v1:key1:'), Buffer.alloc(60, i % 251)]));
          case 1:
            want.plaintext++;
            return writer.put(key, plain);
          case 2: // plaintext that is no object
            want.failed++;
            return writer.put(key, Buffer.from(`not an object ${i}`));
          case 3: // sealed for another etcd key
            want.failed++;
            return writer.put(key, await secrets.toStorage(plain, new TextEncoder().encode(`/registry/secrets/x/y-${i}`)));
          case 4: // written twice, then deleted: a tombstone, not listed
            await writer.put(key, plain);
            return writer.del(key);
          case 5: // written twice: the newer value is read
            await writer.put(key, Buffer.from('old and broken'));
            want.ok++;
            return writer.put(key, await secrets.toStorage(plain, new TextEncoder().encode(key)));
          default:
            want.ok++;
            return writer.put(key, await secrets.toStorage(plain, new TextEncoder().encode(key)));
        }
      });
    }
    for (let i = 0; i < 400; i++) {
      const key = `/registry/configmaps/team-${i % 5}/c-${i}`;
      const plain = encodeObject(object('ConfigMap', `team-${i % 5}`, `c-${i}`, i));
      want.ok++;
      jobs.push(() => configmaps.toStorage(plain, new TextEncoder().encode(key)).then((v) => writer.put(key, v)));
    }
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < jobs.length) await jobs[next++]!();
      }),
    );
    writer.close();
    const snap = join(work, 'snapshot.db');
    await snapshotSave(etcd.endpoint, snap);

    assert.ok((await stat(snap)).size >= 3 * SCAN_CHUNK_BYTES, 'big enough for pass 1 in shares on 3 workers');

    const src = ['--snapshot', snap, '-c', configPath];
    const v = await sameForAnyWorkers(['verify', ...src, '-o', 'ndjson']);
    assert.equal(v.code, 3);
    const summary = (JSON.parse(v.out.trimEnd().split('\n').at(-1)!) as { summary: typeof want & { keys: number } }).summary;
    assert.deepEqual({ ok: summary.ok, plaintext: summary.plaintext, failed: summary.failed }, want);
    assert.equal(summary.keys, 2200 - 220 + 400);
    await sameForAnyWorkers(['verify', ...src]);
    const g = await sameForAnyWorkers(['get', 'secrets', '-A', ...src, '-o', 'ndjson']);
    assert.equal(g.code, 3);
    assert.equal(g.out.trimEnd().split('\n').length, 2200 - 4 * 220);
    assert.equal(g.err.trimEnd().split('\n').length, 3 * 220);
    await sameForAnyWorkers(['get', 'secrets', '-n', 'team-3', ...src, '-o', 'name']);
    await sameForAnyWorkers(['get', 'configmaps', '-A', ...src, '-o', 'ndjson', '--for-restore']);
    // A wrong trailer: the hash runs beside the shares of pass 1, and nothing is printed.
    const bytes = await readFile(snap);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(snap, bytes);
    for (const args of [
      ['verify', ...src, '-o', 'ndjson'],
      ['get', 'secrets', '-A', ...src, '-o', 'ndjson'],
    ]) {
      const r = await sameForAnyWorkers(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.out, '');
      assert.match(r.err, /sha256/);
    }
  } finally {
    await etcd.stop();
    await rm(work, { recursive: true, force: true });
  }
});
