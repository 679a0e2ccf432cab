/** The bundled sample (vectors/sample, a real etcd snapshot): what `npm start` runs on. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { utf8 } from '../src/bytes.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { runCli } from './support/cli-io.ts';

const SNAPSHOT = 'vectors/sample/snapshot.db';
const CONFIG = 'vectors/sample/encryption-config.yaml';
const SOURCE = ['--snapshot', SNAPSHOT, '-c', CONFIG];
const expected: {
  key: string;
  resource: string;
  writtenWith: 'key1' | 'key2' | 'plaintext';
  object: { metadata: { namespace: string } };
}[] = JSON.parse(readFileSync('vectors/sample/expected.json', 'utf8'));
const objectsOf = (resource: string, ns?: string) =>
  expected.filter((e) => e.resource === resource && (ns === undefined || e.object.metadata.namespace === ns)).map((e) => e.object);

test('get over the sample snapshot returns exactly the objects written, in key order', async () => {
  for (const resource of ['secrets', 'configmaps']) {
    const r = await runCli(['get', resource, '-A', '-o', 'ndjson', ...SOURCE]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
      objectsOf(resource),
    );
  }
  const yaml = await runCli(['get', 'secret', '-n', 'team-a', ...SOURCE]);
  assert.equal(yaml.code, 0, yaml.err);
  const list = parseYaml(yaml.out);
  assert.equal(list.kind, 'List');
  assert.deepEqual(list.items, objectsOf('secrets', 'team-a'));
  const json = await runCli(['get', 'cm', '-o', 'json', ...SOURCE]);
  assert.deepEqual(JSON.parse(json.out).items, objectsOf('configmaps', 'default'));
  const one = await runCli(['get', 'secrets', 'db-credentials', '-o', 'json', ...SOURCE]);
  assert.deepEqual(JSON.parse(one.out), expected.find((e) => e.key === '/registry/secrets/default/db-credentials')!.object);
  const missing = await runCli(['get', 'secrets', 'nope', ...SOURCE]);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /NotFound/);
  const none = await runCli(['get', 'pods', '-A', '-o', 'json', ...SOURCE]);
  assert.deepEqual([none.code, JSON.parse(none.out).items], [0, []]);
});

test('verify over the sample: provider, key and stale per value as written', async () => {
  const r = await runCli(['verify', '-o', 'ndjson', ...SOURCE]);
  assert.equal(r.code, 0, r.err);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = lines.pop().summary;
  const want = expected.map((e) => ({
    key: e.key,
    resource: e.resource,
    status: e.writtenWith === 'plaintext' ? 'plaintext' : 'ok',
    provider: e.writtenWith === 'plaintext' ? 'identity' : 'aescbc',
    keyName: e.writtenWith === 'plaintext' ? null : e.writtenWith,
    // key2 is the second key; identity the second provider (docs/FORMATS.md#stale).
    stale: e.writtenWith !== 'key1',
    error: null,
  }));
  assert.deepEqual(lines, want);
  assert.deepEqual(
    [summary.keys, summary.ok, summary.plaintext, summary.failed, summary.stale],
    [
      expected.length,
      expected.filter((e) => e.writtenWith !== 'plaintext').length,
      expected.filter((e) => e.writtenWith === 'plaintext').length,
      0,
      expected.filter((e) => e.writtenWith !== 'key1').length,
    ],
  );
});

test('subprocess: the bin shim runs the main job; verify with swapped keys exits 3 with a readable reason', async () => {
  const run = promisify(execFile);
  const { stdout } = await run(process.execPath, ['bin/k8s-enc.js', 'get', 'secrets', '-A', ...SOURCE]);
  assert.deepEqual(parseYaml(stdout).items, objectsOf('secrets'));

  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-cli-'));
  try {
    const text = readFileSync(CONFIG, 'utf8');
    const [s1, s2] = [...text.matchAll(/secret: (\S+)/g)].map((m) => m[1]!);
    const swapped = join(dir, 'swapped.yaml');
    await writeFile(swapped, text.replace(s1!, 'S1').replace(s2!, s1!).replace('S1', s2!));
    const err = await run(process.execPath, ['bin/k8s-enc.js', 'verify', '--snapshot', SNAPSHOT, '-c', swapped, '-o', 'ndjson']).then(
      () => assert.fail('verify should exit 3'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(err.code, 3);
    const recs = err.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((r) => r.key !== undefined);
    for (const e of expected) {
      const rec = recs.find((r) => r.key === e.key);
      if (e.writtenWith === 'plaintext') assert.equal(rec.status, 'plaintext');
      else {
        assert.equal(rec.status, 'error');
        assert.equal(rec.error, `no configured key decrypts this value (written with aescbc ${e.writtenWith})`);
        assert.match(rec.upstreamError, /padding|PKCS7|^\[/);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the sample is the captured Kubernetes 1.8 cluster: default/mysecret is its etcd value byte for byte, and get prints its password', async () => {
  const captured = new Uint8Array(readFileSync('vectors/captured/k8s-1.8-aescbc/etcdctl-get-aescbc.bin'));
  const nl = captured.indexOf(10);
  const key = new TextDecoder().decode(captured.subarray(0, nl));
  const source = await openSnapshot(SNAPSHOT);
  try {
    const entry = await source.get(utf8(key));
    assert.deepEqual(entry?.value, captured.subarray(nl + 1, captured.length - 1));
  } finally {
    await source.close();
  }
  // The cluster's own key1 is the sample's current key.
  const clusterConfig = readFileSync('vectors/captured/k8s-1.8-aescbc/encryption-config.yaml', 'utf8');
  const key1 = /name: key1\s+secret: (\S+)/.exec(clusterConfig)![1]!;
  assert.equal(/name: key1\s+secret: (\S+)/.exec(readFileSync(CONFIG, 'utf8'))![1], key1);
  // What `npm start` runs: the Secret as the 1.8 cluster held it, password included.
  const r = await runCli(['get', 'secrets', '-A', ...SOURCE]);
  assert.equal(r.code, 0, r.err);
  const mysecret = parseYaml(r.out).items.find((o: { metadata: { name: string } }) => o.metadata.name === 'mysecret');
  assert.deepEqual(mysecret, JSON.parse(readFileSync('vectors/captured/k8s-1.8-aescbc/expected-aescbc.json', 'utf8')));
  assert.equal(Buffer.from(mysecret.data.password, 'base64').toString(), 'ilovejapan\n');
});
