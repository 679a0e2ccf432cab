/**
 * get and verify against a real etcd: vector values and real encoded Secrets under real keys, read
 * through --endpoints, an `etcdctl snapshot save` file and the member's bbolt db; all three must
 * agree with each other and with the vectors.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeGoStdBase64, utf8 } from '../src/bytes.ts';
import { createTransformer } from '../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { encodeObject } from '../src/storage/encode.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { runCli } from './support/cli-io.ts';
import { EtcdWriter, snapshotSave } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';
import { loadVectors, VECTOR_DIR, type TransformerVector, type VectorProvider } from './support/vectors.ts';

const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
const CAPTURED_KEY = '/registry/secrets/default/mysecret';
const CAPTURED_SECRET = 'cSNmGdfrr/IZeYN9npkl3F7/ScQcer2We9VxmM4X5ww=';

function providerYaml(p: VectorProvider): string {
  if (p.type === 'identity') return '      - identity: {}\n';
  const keys = p
    .keys!.map((k) => `            - name: ${JSON.stringify(k.name)}\n              secret: ${JSON.stringify(k.secret)}\n`)
    .join('');
  return `      - ${p.type}:\n          keys:\n${keys}`;
}

function entryYaml(resources: string[], providers: VectorProvider[]): string {
  return `  - resources: [${resources.join(', ')}]\n    providers:\n${providers.map(providerYaml).join('')}`;
}

function capturedValue(file: string): Uint8Array {
  const b = new Uint8Array(readFileSync(`${CAPTURED}/${file}`));
  return b.subarray(CAPTURED_KEY.length + 1, b.length - 1);
}

function secret(namespace: string, name: string, data: Record<string, string>): KubeObject {
  const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-${name}`, creationTimestamp: '2024-01-02T03:04:05Z' },
    data: b64,
    type: 'Opaque',
  };
}

interface Placed {
  key: string;
  vector?: TransformerVector;
  object?: KubeObject;
  stale?: boolean;
}

test('get and verify agree over --endpoints, a snapshot and the member db, and with the vectors', {
  skip: etcdSkipReason(),
  timeout: 120_000,
}, async () => {
  const seen = new Set<string>();
  const positive = loadVectors(`${VECTOR_DIR}/positive.jsonl`).filter(
    (v) =>
      v.provider === 'aesgcm-32' &&
      v.authenticatedData.startsWith('/registry/secrets/') &&
      !seen.has(v.authenticatedData) &&
      seen.add(v.authenticatedData),
  );
  const gcm = positive[0]!.providers;
  // AD-free vectors (aescbc, secretbox, identity chains) can live anywhere: each gets its own CRD-style resource.
  const movable = [...loadVectors(`${VECTOR_DIR}/negative.jsonl`), ...loadVectors(`${VECTOR_DIR}/chains.jsonl`)].filter(
    (v) =>
      v.mode === 'chain' &&
      v.op === 'read' &&
      v.stored !== undefined &&
      v.providers.every((p) => ['identity', 'aescbc', 'secretbox'].includes(p.type)),
  );
  assert.ok(movable.length > 100);
  const secretsProviders: VectorProvider[] = [
    ...gcm,
    { type: 'aescbc', keys: [{ name: 'key1', secret: CAPTURED_SECRET }] },
    { type: 'identity' },
  ];
  const configText =
    'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n' +
    entryYaml(['secrets'], secretsProviders) +
    movable.map((v) => entryYaml([`${v.id}.vectors.example`], v.providers)).join('');

  const work = await mkdtemp(join(tmpdir(), 'k8s-enc-cli-etcd-'));
  const etcd = await startEtcd();
  try {
    const configPath = join(work, 'config.yaml');
    await writeFile(configPath, configText);
    const config = parseEncryptionConfig(configText, configPath);
    const writer = await EtcdWriter.connect(etcd.endpoint);
    const placed: Placed[] = [];
    const put = async (p: Placed, value: Uint8Array) => {
      await writer.put(p.key, value);
      placed.push(p);
    };
    // aesgcm binds each value to its etcd key (AD): they must be read at exactly their vector's key.
    for (const v of positive) await put({ key: v.authenticatedData, vector: v }, decodeGoStdBase64(v.stored!)!);
    const taken = new Set(placed.map((p) => p.key));
    for (const v of movable) await put({ key: `/registry/vectors.example/${v.id}/default/v`, vector: v }, decodeGoStdBase64(v.stored!)!);
    // The Kubernetes 1.8 capture: aescbc key1 is the second provider here, so the read is stale.
    const captured = JSON.parse(readFileSync(`${CAPTURED}/expected-aescbc.json`, 'utf8'));
    assert.ok(!taken.has(CAPTURED_KEY));
    await put({ key: CAPTURED_KEY, object: captured, stale: true }, capturedValue('etcdctl-get-aescbc.bin'));
    const plainObj = { ...JSON.parse(readFileSync(`${CAPTURED}/expected-identity.json`, 'utf8')) };
    await put(
      { key: '/registry/secrets/default/mysecret-plain', object: plainObj, stale: true },
      capturedValue('etcdctl-get-identity.bin'),
    );
    for (const [ns, name] of [
      ['prod', 'db'],
      ['prod', 'tls'],
      ['kube-system', 'token'],
    ] as const) {
      const obj = secret(ns, name, { password: `pw-${name}`, note: 'real encoded Secret' });
      const key = `/registry/secrets/${ns}/${name}`;
      await put({ key, object: obj, stale: false }, await createTransformer(config, 'secrets').toStorage(encodeObject(obj), key));
    }
    writer.close();

    const snapshot = join(work, 'snapshot.db');
    await snapshotSave(etcd.endpoint, snapshot);
    const sources = [
      ['--endpoints', etcd.endpoint],
      ['--snapshot', snapshot],
    ];
    const live = await Promise.all([
      runCli(['verify', '-c', configPath, '-o', 'ndjson', ...sources[0]!]),
      runCli(['get', 'secrets', '-A', '-c', configPath, '-o', 'ndjson', ...sources[0]!]),
    ]);
    await etcd.halt();
    const db = join(work, 'member.db');
    await copyFile(etcd.dbPath, db);
    sources.push(['--snapshot', db]);
    const runs = [live];
    for (const src of sources.slice(1)) {
      runs.push([
        await runCli(['verify', '-c', configPath, '-o', 'ndjson', ...src]),
        await runCli(['get', 'secrets', '-A', '-c', configPath, '-o', 'ndjson', ...src]),
      ]);
    }
    for (const [i, [verify, get]] of runs.entries()) {
      assert.equal(verify.code, 3, `${sources[i]}: vectors with expected errors make verify fail`);
      assert.equal(verify.out, runs[0]![0].out, `verify over ${sources[i]!.join(' ')} equals --endpoints`);
      assert.equal(get.out, runs[0]![1].out, `get over ${sources[i]!.join(' ')} equals --endpoints`);
      // A member db has no sha256 trailer, and says so; the rest of stderr is the same.
      assert.equal(get.err.replace(/^note: .* has no sha256 trailer .*\n/m, ''), runs[0]![1].err);
      assert.equal(get.code, 3, 'the random vector plaintexts are not objects: some values failed');
    }

    const lines = runs[0]![0].out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const summary = lines.pop().summary;
    const records = new Map(lines.map((r) => [r.key, r]));
    assert.equal(records.size, placed.length);
    assert.deepEqual(
      lines.map((r) => r.key),
      [...lines.map((r) => r.key)].sort((a, b) => Buffer.compare(utf8(a), utf8(b))),
      'records in key order',
    );
    for (const p of placed) {
      const r = records.get(p.key)!;
      const v = p.vector;
      if (v === undefined) {
        assert.equal(r.status, p.key.endsWith('-plain') ? 'plaintext' : 'ok', p.key);
        assert.equal(r.stale, p.stale, p.key);
        continue;
      }
      if (v.expect === 'ok') {
        // Decrypted as the vector says; its random plaintext is then (rightly) not a Kubernetes object.
        assert.equal(r.stale, v.stale, `${v.id} stale`);
        assert.ok(r.status !== 'error' || r.error.startsWith('decrypted, but the object does not decode'), `${v.id}: ${r.error}`);
      } else {
        assert.equal(r.status, 'error', v.id);
        assert.equal(r.stale, null, v.id);
        if (v.expect === 'error') {
          const texts = [v.error, ...(v.errorAlternatives ?? [])];
          assert.ok(texts.includes(r.upstreamError ?? r.error), `${v.id}: ${r.upstreamError ?? r.error} vs ${texts.join(' | ')}`);
        }
      }
    }
    const capturedRec = records.get(CAPTURED_KEY)!;
    assert.deepEqual([capturedRec.provider, capturedRec.keyName, capturedRec.resource], ['aescbc', 'key1', 'secrets']);
    assert.equal(summary.keys, placed.length);
    assert.equal(summary.failed, lines.filter((r) => r.status === 'error').length);

    const got = runs[0]![1].out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const objects = placed.filter((p) => p.object !== undefined).sort((a, b) => Buffer.compare(utf8(a.key), utf8(b.key)));
    assert.deepEqual(
      got,
      objects.map((p) => p.object),
    );

    // --for-restore --out: one private file per Secret that decodes.
    const out = join(work, 'restore');
    const restore = await runCli(['get', 'secrets', '-n', 'prod', '-c', configPath, '--snapshot', snapshot, '--for-restore', '--out', out]);
    assert.equal(restore.code, 0, restore.err);
    assert.deepEqual((await readdir(join(out, 'prod', 'secrets'))).sort(), ['db.yaml', 'tls.yaml']);
    assert.equal((await stat(join(out, 'prod'))).mode & 0o777, 0o700);
    const file = join(out, 'prod', 'secrets', 'db.yaml');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const doc = parseYaml(await readFile(file, 'utf8'));
    assert.deepEqual(
      [doc.kind, doc.metadata.name, doc.metadata.namespace, doc.data],
      ['Secret', 'db', 'prod', secret('prod', 'db', { password: 'pw-db', note: 'real encoded Secret' }).data],
    );
    assert.equal(doc.metadata.uid, undefined, 'server-set fields are dropped for restore');
  } finally {
    await etcd.stop();
    await rm(work, { recursive: true, force: true });
  }
});
