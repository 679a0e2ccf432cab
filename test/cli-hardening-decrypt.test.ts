/**
 * A wrong aescbc key that passes the padding check (issue #9 item 7): aescbc has no integrity, so
 * about 1 wrong key in 256 "decrypts" to garbage. The garbage must never come out as a success.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli-io.ts';

const KEY = '/registry/secrets/default/db';
const config = (secret: string) =>
  `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc: {keys: [{name: key1, secret: ${secret}}]}\n`;

/** The first key (sha256 of "wrong-<i>") under which the stored body has valid PKCS#7 padding. */
function wrongKeyWithValidPadding(body: Uint8Array): Buffer {
  for (let i = 0; ; i++) {
    const key = createHash('sha256').update(`wrong-${i}`).digest();
    const d = createDecipheriv('aes-256-cbc', key, body.subarray(0, 16));
    try {
      d.update(body.subarray(16));
      d.final();
      return key;
    } catch {
      // bad padding: the usual case
    }
  }
}

test('decrypt with a wrong aescbc key that passes the padding: "key most likely wrong", and -o raw checks too', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-cbc-'));
  try {
    const right = join(dir, 'right.yaml');
    await writeFile(right, config(Buffer.alloc(32, 3).toString('base64')));
    const manifest = 'apiVersion: v1\nkind: Secret\nmetadata: {name: db, namespace: default}\ndata: {password: cHc=}\n';
    const enc = await runCli(['encrypt', '-c', right, '--etcd-key', KEY], manifest);
    assert.equal(enc.code, 0, enc.err);
    const prefix = 'k8s:enc:aescbc:v1:key1:'.length;
    const wrong = join(dir, 'wrong.yaml');
    await writeFile(wrong, config(wrongKeyWithValidPadding(enc.stdout.subarray(prefix)).toString('base64')));

    const yaml = await runCli(['decrypt', '-c', wrong, '--etcd-key', KEY], enc.stdout);
    assert.equal(yaml.code, 1);
    assert.match(yaml.err, /does not decode.*the aescbc key is most likely wrong/s);
    const raw = await runCli(['decrypt', '-c', wrong, '--etcd-key', KEY, '-o', 'raw'], enc.stdout);
    assert.equal(raw.code, 1, 'garbage is not a success');
    assert.equal(raw.out, '');
    assert.match(raw.err, /most likely wrong/);
    const unchecked = await runCli(['decrypt', '-c', wrong, '--etcd-key', KEY, '-o', 'raw', '--no-check'], enc.stdout);
    assert.equal(unchecked.code, 0, 'asked for the bytes whatever they are');
    assert.ok(unchecked.stdout.length > 0);
    const good = await runCli(['decrypt', '-c', right, '--etcd-key', KEY, '-o', 'raw'], enc.stdout);
    assert.equal(good.code, 0, good.err);
    assert.deepEqual(Buffer.from(good.stdout.subarray(0, 4)), Buffer.from('k8s\0'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('verify says the same of such a value', async () => {
  const { decodeReport } = await import('../src/value/reader.ts');
  const r = decodeReport({
    key: KEY,
    resource: 'secrets',
    status: 'ok',
    provider: 'aescbc',
    keyName: 'key1',
    stale: false,
    error: null,
    data: new Uint8Array([1, 2, 3, 4]),
  });
  assert.equal(r.status, 'error');
  assert.match(r.error!, /most likely wrong/);
  const plain = decodeReport({
    key: KEY,
    resource: 'secrets',
    status: 'plaintext',
    provider: 'identity',
    keyName: null,
    stale: false,
    error: null,
    data: new Uint8Array([1, 2, 3, 4]),
  });
  assert.doesNotMatch(plain.error!, /key/);
});
