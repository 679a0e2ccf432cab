/**
 * Messages (issue #9, "Messages"): etcdctl output in all its shapes, a resource the configuration
 * does not cover, hints only where they can be true, no noise (DEP0123, empty "Resolution note:"),
 * truncated values flagged, system errors in words.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { runCli } from './support/cli-io.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';

const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
const CONFIG = `${CAPTURED}/encryption-config.yaml`;
const KEY = '/registry/secrets/default/mysecret';
const etcdctlText = new Uint8Array(readFileSync(`${CAPTURED}/etcdctl-get-aescbc.bin`));
const value = etcdctlText.subarray(KEY.length + 1, etcdctlText.length - 1);
const b64 = (b: Uint8Array | string) => Buffer.from(b).toString('base64');

async function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-msg-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('etcdctl get output without its trailing newline (as $(…) leaves it) decrypts, with a note', async () => {
  const r = await runCli(['decrypt', '-c', CONFIG], etcdctlText.subarray(0, etcdctlText.length - 1));
  assert.equal(r.code, 0, r.err);
  assert.equal((parseYaml(r.out) as { metadata: { name: string } }).metadata.name, 'mysecret');
  assert.match(r.err, /no trailing newline/);
});

test('etcdctl -w json with count 0: says etcdctl found no key', async () => {
  const r = await runCli(['decrypt', '-c', CONFIG], '{"header":{"cluster_id":1,"member_id":2,"revision":5,"raft_term":2},"count":0}\n');
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /etcdctl found no key \(count 0\)/);
});

test('etcdctl output of several keys (--prefix): -w json decrypts each, text says how', async () => {
  const other = '/registry/secrets/default/other';
  const json = JSON.stringify({
    header: { revision: 9 },
    kvs: [
      { key: b64(KEY), value: b64(value) },
      { key: b64(other), value: b64(value) },
    ],
    count: 2,
  });
  const r = await runCli(['decrypt', '-c', CONFIG], json);
  assert.equal(r.code, 0, r.err);
  const list = parseYaml(r.out) as { kind: string; items: unknown[] };
  assert.deepEqual([list.kind, list.items.length], ['List', 2]);
  const text = Buffer.concat([etcdctlText, Buffer.from(`${other}\n`), value, Buffer.from('\n')]);
  const t = await runCli(['decrypt', '-c', CONFIG], text);
  assert.equal(t.code, 1);
  assert.match(t.err, /several keys.*-w json/);
  assert.doesNotMatch(t.err, /block size/);
  const raw = await runCli(['decrypt', '-c', CONFIG, '-o', 'raw'], json);
  assert.equal(raw.code, 2, '-o raw prints one value');
});

test("a resource the configuration does not cover: said so, with the value's provider and key", async () => {
  await withTemp(async (dir) => {
    const cfg = join(dir, 'c.yaml');
    const config = readFileSync(CONFIG, 'utf8').replace(/- secrets/, '- configmaps');
    assert.notEqual(config, readFileSync(CONFIG, 'utf8'));
    await writeFile(cfg, config);
    const r = await runCli(['decrypt', '-c', cfg], etcdctlText);
    assert.equal(r.code, 1);
    assert.match(r.err, /the configuration has no rule for secrets.*aescbc key1/);
    assert.doesNotMatch(r.err, /^error: identity transformer/);
  });
});

test('"or it was copied from another etcd key" only when an aesgcm key is configured', async () => {
  const gcmValue = Buffer.concat([Buffer.from('k8s:enc:aesgcm:v1:key1:'), Buffer.alloc(60, 5)]);
  const noGcm = await runCli(['decrypt', '-c', CONFIG, '--etcd-key', KEY, '--input-format', 'raw'], gcmValue);
  assert.equal(noGcm.code, 1);
  assert.doesNotMatch(noGcm.err, /copied from another etcd key/);
  assert.match(noGcm.err, /no aesgcm provider/);
  await withTemp(async (dir) => {
    const cfg = join(dir, 'gcm.yaml');
    await writeFile(
      cfg,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm: {keys: [{name: key1, secret: ${b64(Buffer.alloc(32, 1))}}]}\n`,
    );
    const gcm = await runCli(['decrypt', '-c', cfg, '--etcd-key', KEY, '--input-format', 'raw'], gcmValue);
    assert.equal(gcm.code, 1);
    assert.match(gcm.err, /copied from another etcd key/);
  });
});

test('an unreachable etcd: no empty "Resolution note:"', async () => {
  const r = await runCli(['verify', '--endpoints', 'http://127.0.0.1:1', '-c', CONFIG]);
  assert.equal(r.code, 1);
  assert.match(r.err, /ECONNREFUSED \(connection refused\)|ECONNREFUSED/);
  assert.doesNotMatch(r.err, /Resolution note:\s*(\n|$)/);
});

test('https://127.0.0.1: no DEP0123 warning about an IP address as TLS server name', {
  skip: etcdSkipReason(),
  timeout: 60_000,
}, async () => {
  const etcd = await startEtcd({ tls: true });
  try {
    const tls = etcd.tls!;
    const r = await promisify(execFile)(process.execPath, [
      'bin/k8s-enc.js',
      'verify',
      '--endpoints',
      etcd.endpoint,
      '--cacert',
      tls.cacert,
      '--cert',
      tls.cert,
      '--key',
      tls.key,
      '-c',
      CONFIG,
    ]).catch((e: { stderr: string; code: number }) => e);
    assert.doesNotMatch(r.stderr, /DEP0123|DeprecationWarning/);
    assert.match(r.stderr, /no keys under/, 'it did talk to the empty etcd');
  } finally {
    await etcd.stop();
  }
});

test('inspect flags truncated values', async () => {
  for (const [v, why] of [
    ['k8s:enc:aesgcm:v1:key1:0123456789', /shorter than the 28 bytes/],
    ['k8s:enc:aescbc:v1:key1:' + 'x'.repeat(40), /not a whole number of 16-byte blocks/],
    ['k8s:enc:secretbox:v1:key1:' + 'x'.repeat(30), /shorter than the 40 bytes/],
  ] as const) {
    const r = await runCli(['inspect', '-o', 'json', '--input-format', 'raw'], v);
    assert.equal(r.code, 0, r.err);
    const f = JSON.parse(r.out) as { truncated?: boolean; problem?: string };
    assert.equal(f.truncated, true, v);
    assert.match(f.problem!, why);
  }
  const whole = await runCli(['inspect', '-o', 'json', '--input-format', 'raw'], 'k8s:enc:aesgcm:v1:key1:' + 'x'.repeat(40));
  assert.equal((JSON.parse(whole.out) as { truncated?: boolean }).truncated, undefined);
});

test('system errors in words: ENOENT (no such file or directory)', async () => {
  const r = await runCli(['verify', '--snapshot', 'vectors/sample/snapshot.db', '-c', '/nonexistent/enc.yaml']);
  assert.equal(r.code, 1);
  assert.match(r.err, /ENOENT \(no such file or directory\)/);
});
