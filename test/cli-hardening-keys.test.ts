/**
 * Hostile and odd etcd keys (issue #9 item 9 and the multi-segment key message): terminal escape
 * sequences never reach a terminal raw, and `verify` and `get` read a key the same way.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './support/cli-io.ts';
import { craftSnapshot, secret, type CraftedSnapshot } from './support/crafted-snapshot.ts';
import { etcdSkipReason } from './support/etcd-server.ts';

// ESC ] (title), BEL, ESC [ 2J (clear screen), C1 CSI, a bidi override, a NUL and a newline.
const NASTY = 'x\x1b]0;pwned\x07\x1b[2J\u009b31m\u202e\0\ny';
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
// -o yaml|json are kubectl's bytes (go-yaml, encoding/json) and stay so: both escape ESC, BEL and
// the other C0 controls; encoding/json prints C1 and bidi characters as UTF-8, as kubectl does.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding raw control characters is the point
const RAW_TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

const skip = etcdSkipReason();
let snap: CraftedSnapshot;
before(async () => {
  if (skip !== false) return;
  snap = await craftSnapshot([
    [`/registry/secrets/default/${NASTY}`, new TextEncoder().encode(`k8s:enc:aesgcm:v1:key1:${'\x1b[2J'.repeat(20)}`)],
    ['/registry/secrets/default/named', secret('default', NASTY)],
    ['/registry/secrets/default/a/b', secret('default', 'b')],
    ['/registry/secrets/default/ok', secret('default', 'ok')],
  ]);
});
after(async () => snap?.remove());

function noRawControls(text: string, what: string, unsafe = RAW_CONTROL): void {
  const m = unsafe.exec(text.replace(/\n/g, ''));
  assert.equal(m, null, `${what} holds a raw control character U+${(m?.[0].codePointAt(0) ?? 0).toString(16)}: ${JSON.stringify(text)}`);
}

test('verify table, get errors and -o name escape control characters in keys, names and messages', { skip }, async () => {
  const v = await runCli(['verify', ...snap.args]);
  assert.equal(v.code, 3);
  noRawControls(v.out, 'verify table');
  noRawControls(v.err, 'verify stderr');
  assert.ok(v.out.includes('\\x1b]0;pwned\\a\\x1b[2J'), v.out);
  const g = await runCli(['get', 'secrets', '-A', ...snap.args, '-o', 'name']);
  assert.equal(g.code, 3);
  noRawControls(g.out, 'get -o name');
  noRawControls(g.err, 'get stderr');
  assert.ok(g.err.includes('\\x1b]0;pwned'), g.err);
  for (const o of ['yaml', 'json']) {
    const r = await runCli(['get', 'secrets', '-A', ...snap.args, '-o', o]);
    noRawControls(r.out, `get -o ${o}`, RAW_TERMINAL_CONTROL);
    noRawControls(r.err, `get -o ${o} stderr`);
  }
  const one = await runCli(['get', 'secrets', NASTY, ...snap.args]);
  noRawControls(one.err, 'get NAME stderr');
  // ndjson stays exact JSON: its escapes are JSON's.
  const nd = await runCli(['verify', ...snap.args, '-o', 'ndjson']);
  const keys = nd.out
    .trim()
    .split('\n')
    .slice(0, -1)
    .map((l) => (JSON.parse(l) as { key: string }).key);
  assert.ok(keys.includes(`/registry/secrets/default/${NASTY}`));
});

test('verify and get agree on a key with more segments than a name (/registry/secrets/default/a/b)', { skip }, async () => {
  const v = await runCli(['verify', ...snap.args, '-o', 'ndjson']);
  const rec = v.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { key?: string; status: string; provider: string; resource: string })
    .find((r) => r.key === '/registry/secrets/default/a/b');
  assert.deepEqual([rec?.status, rec?.provider, rec?.resource], ['ok', 'aesgcm', 'secrets'], JSON.stringify(rec));
  const g = await runCli(['get', 'secrets', '-A', ...snap.args, '-o', 'name']);
  assert.ok(g.out.includes('secret/b\n'));
});
