/**
 * `encrypt` of a Secret with `stringData` (issue #9 item 5): merged into `data` as the apiserver's
 * v1 → internal conversion does (stringData wins over data), and said so on stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse as parseYaml } from 'yaml';
import { runCli } from './support/cli-io.ts';

const CONFIG = ['-c', 'vectors/sample/encryption-config.yaml'];
const KEY = ['--etcd-key', '/registry/secrets/default/db'];
const b64 = (s: string) => Buffer.from(s).toString('base64');

test("encrypt merges a Secret's stringData into data (stringData wins), stores no stringData, and says so", async () => {
  const manifest = [
    'apiVersion: v1',
    'kind: Secret',
    'metadata: {name: db, namespace: default}',
    `data: {password: ${b64('old')}, user: ${b64('admin')}}`,
    'stringData: {password: "new pässword", token: abc}',
    '',
  ].join('\n');
  const enc = await runCli(['encrypt', ...CONFIG, ...KEY], manifest);
  assert.equal(enc.code, 0, enc.err);
  assert.match(enc.err, /stringData.*merged into data/);
  const dec = await runCli(['decrypt', ...CONFIG, ...KEY], enc.stdout);
  assert.equal(dec.code, 0, dec.err);
  const secret = parseYaml(dec.out) as { data: Record<string, string>; stringData?: unknown };
  assert.deepEqual(secret.data, { password: b64('new pässword'), token: b64('abc'), user: b64('admin') });
  assert.equal(secret.stringData, undefined);
});

test('encrypt refuses stringData that is not a map of strings', async () => {
  for (const bad of ['stringData: [a, b]', 'stringData: {a: {b: c}}', 'stringData: {a: 1}']) {
    const r = await runCli(['encrypt', ...CONFIG, ...KEY], `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\n${bad}\n`);
    assert.equal(r.code, 1, `${bad}: ${r.err}`);
    assert.match(r.err, /stringData/);
  }
});
