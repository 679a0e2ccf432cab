import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { decodeGoStdBase64 } from '../src/bytes.ts';
import { makePrivateDir, writeFileAtomic } from '../src/cli/atomic-write.ts';
import { parseCommandArgs, UsageError } from '../src/cli/args.ts';
import { keygenCommand } from '../src/cli/commands/keygen.ts';
import type { CliIo } from '../src/cli/io.ts';
import { startProgress } from '../src/cli/progress.ts';

function memoryIo(tty = false): CliIo & { out: () => string; err: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  const dec = new TextDecoder();
  return {
    stdout: { write: (c) => void out.push(typeof c === 'string' ? c : dec.decode(c)) },
    stderr: { write: (c) => void err.push(typeof c === 'string' ? c : dec.decode(c)) },
    readStdin: async () => new Uint8Array(0),
    stderrIsTTY: tty,
    out: () => out.join(''),
    err: () => err.join(''),
  };
}

test('atomic writes: 0700 folders, 0600 files, no temp files left, replaces a symlink instead of following it', async () => {
  const root = await mkdtemp(join(tmpdir(), 'k8s-enc-cli-'));
  try {
    const dir = join(root, 'out', 'default', 'secrets');
    await makePrivateDir(dir);
    for (const d of [join(root, 'out'), join(root, 'out', 'default'), dir]) assert.equal((await stat(d)).mode & 0o777, 0o700, d);
    const file = join(dir, 'db.yaml');
    await writeFileAtomic(file, 'first\n');
    await writeFileAtomic(file, 'second\n');
    assert.equal(await readFile(file, 'utf8'), 'second\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['db.yaml']);
    // A symlink planted at the target must not redirect the write to another file.
    const victim = join(root, 'victim');
    await writeFile(victim, 'untouched');
    await symlink(victim, join(dir, 'link.yaml'));
    await writeFileAtomic(join(dir, 'link.yaml'), 'secret data\n');
    assert.equal(await readFile(victim, 'utf8'), 'untouched');
    assert.equal(await readFile(join(dir, 'link.yaml'), 'utf8'), 'secret data\n');
    await assert.rejects(writeFileAtomic(join(root, 'missing', 'x'), 'x'), { code: 'ERR_IO' });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('progress: silent off a terminal, and on a terminal only after a second', async () => {
  let now = 0;
  const quiet = memoryIo(false);
  const p1 = startProgress(quiet, 'x', () => now);
  now = 5000;
  p1.tick();
  await p1.note('error: one');
  await p1.done();
  assert.equal(quiet.err(), 'error: one\n');

  now = 0;
  const tty = memoryIo(true);
  const p2 = startProgress(tty, 'scanning', () => now);
  p2.tick();
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(tty.err(), '', 'nothing before one second');
  now = 2000;
  p2.tick(true);
  await new Promise((r) => setTimeout(r, 250));
  assert.match(tty.err(), /scanning: 2 keys \(1 failed\)/);
  await p2.done();
  assert.ok(tty.err().endsWith('\r\x1b[K'), 'the line is cleared at the end');
});

test('kubectl-style flags: -n=ns, -oyaml, --flag=value; unknown flags are usage errors', () => {
  const opts = { namespace: { type: 'string', short: 'n' }, output: { type: 'string', short: 'o' } } as const;
  const p = parseCommandArgs('get', ['secrets', '-n=kube-system', '-oyaml', '--', '-x'], opts);
  assert.equal(p.values.namespace, 'kube-system');
  assert.equal(p.values.output, 'yaml');
  assert.deepEqual(p.positionals, ['secrets', '-x']);
  assert.throws(
    () => parseCommandArgs('get', ['--nope'], opts),
    (e: UsageError) => e instanceof UsageError && /--nope/.test(e.message),
  );
});

test('keygen prints a valid EncryptionConfiguration with a fresh 32-byte key', async () => {
  const secrets = new Set<string>();
  for (const provider of ['aescbc', 'aesgcm', 'secretbox']) {
    const io = memoryIo();
    assert.equal(await keygenCommand([provider, '--name', 'key:2'], io), 0);
    const doc = parseYaml(io.out());
    assert.equal(doc.kind, 'EncryptionConfiguration');
    assert.equal(doc.apiVersion, 'apiserver.config.k8s.io/v1');
    const key = doc.resources[0].providers[0][provider].keys[0];
    assert.equal(key.name, 'key:2');
    assert.equal(decodeGoStdBase64(key.secret)?.length, 32);
    secrets.add(key.secret);
  }
  assert.equal(secrets.size, 3, 'each run draws a new key');
  await assert.rejects(keygenCommand(['des'], memoryIo()), UsageError);
  await assert.rejects(keygenCommand([], memoryIo()), UsageError);
});
