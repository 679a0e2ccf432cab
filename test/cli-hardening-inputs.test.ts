/**
 * Inputs that used to give stack traces or silent guesses (issue #9 items 4 and 6, and the
 * "regular file" message): each is now one clear line and a stable exit code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, rm, truncate, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli-io.ts';
import { makeTestCertificates } from './support/etcd-server.ts';

const SNAPSHOT = 'vectors/sample/snapshot.db';
const CONFIG = ['-c', 'vectors/sample/encryption-config.yaml'];

function clean(err: string): void {
  assert.doesNotMatch(err, /internal error|\n\s+at /, `no stack trace: ${err}`);
}

test('--snapshot on a folder or a pipe (`<(…)`): a regular file is needed, exit 1', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-inputs-'));
  try {
    const r = await runCli(['verify', '--snapshot', dir, ...CONFIG]);
    assert.equal(r.code, 1, r.err);
    clean(r.err);
    assert.match(r.err, /is a folder, not a snapshot file/);
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const p = await runCli(['verify', '--snapshot', fifo, ...CONFIG]);
    assert.equal(p.code, 1, p.err);
    assert.match(p.err, /not a regular file.*save it to a file first/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('snapshot hash: a cut trailer or --skip-hash-check says on stderr what was not checked', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-inputs-'));
  try {
    const ok = await runCli(['verify', '--snapshot', SNAPSHOT, ...CONFIG]);
    assert.equal(ok.code, 0);
    assert.equal(ok.err, '', 'a snapshot whose sha256 checks out: nothing to say');
    const cut = join(dir, 'cut.db');
    await copyFile(SNAPSHOT, cut);
    await truncate(cut, (await readFile(SNAPSHOT)).length - 7);
    const r = await runCli(['verify', '--snapshot', cut, ...CONFIG]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /no sha256 trailer.*not checked/s);
    const bad = join(dir, 'bad.db');
    const bytes = await readFile(SNAPSHOT);
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(bad, bytes);
    const refused = await runCli(['verify', '--snapshot', bad, ...CONFIG]);
    assert.equal(refused.code, 1);
    const skipped = await runCli(['verify', '--snapshot', bad, ...CONFIG, '--skip-hash-check']);
    assert.equal(skipped.code, 0, skipped.err);
    assert.match(skipped.err, /sha256.*not checked.*--skip-hash-check/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--cert without --key and the reverse are usage errors; swapped or mismatched cert/key a clear error', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-inputs-'));
  try {
    const tls = makeTestCertificates(dir);
    const ep = ['--endpoints', 'https://127.0.0.1:1'];
    for (const args of [
      ['--cert', tls.cert],
      ['--key', tls.key],
    ]) {
      const r = await runCli(['verify', ...ep, ...CONFIG, '--cacert', tls.cacert, ...args]);
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /--cert and --key go together/);
    }
    for (const [cert, key] of [
      [tls.key, tls.cert],
      [tls.cert, join(dir, 'ca.key')],
      [tls.cacert, tls.cacert],
    ]) {
      const r = await runCli(['verify', ...ep, ...CONFIG, '--cacert', tls.cacert, '--cert', cert!, '--key', key!]);
      assert.equal(r.code, 1, r.err);
      clean(r.err);
      assert.match(r.err, /--cert .* --key .*: /);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('output to a full device (> /dev/full): a clear error, exit 1, no stack trace', async () => {
  const full = await new Promise<{ code: number | null; err: string }>((resolve) => {
    execFile(
      'sh',
      ['-c', `"${process.execPath}" bin/k8s-enc.js get secrets -A --snapshot ${SNAPSHOT} ${CONFIG.join(' ')} > /dev/full`],
      (e, _out, err) => resolve({ code: e === null ? 0 : (e as { code: number }).code, err }),
    );
  });
  assert.equal(full.code, 1, full.err);
  clean(full.err);
  assert.match(full.err, /cannot write to standard output: ENOSPC \(no space left on device\)/);
});
