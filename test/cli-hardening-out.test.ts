/**
 * `get --out DIR` under hostile conditions (issue #9 items 1, 2, 10, 11 and the non-empty folder
 * warning): every object that can be written is, the ones that cannot are named on stderr, nothing
 * leaves DIR, interrupted runs leave no temp files, and two objects never share one file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { runCli } from './support/cli-io.ts';
import { craftSnapshot, secret, type CraftedSnapshot } from './support/crafted-snapshot.ts';
import { etcdSkipReason } from './support/etcd-server.ts';

const skip = etcdSkipReason();
let snap: CraftedSnapshot;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'k8s-enc-out-'));
  if (skip !== false) return;
  snap = await craftSnapshot([
    ['/registry/secrets/default/..', secret('default', '..')],
    ['/registry/secrets/default/a/b', secret('default', 'a/b')],
    ['/registry/secrets/default/long', secret('default', 'l'.repeat(240))],
    ['/registry/secrets/default/longest', secret('default', 'm'.repeat(253))],
    ['/registry/secrets/evil/x', secret('..', 'x')],
    ['/registry/secrets/zz/dup1', secret('zz', 'dup')],
    ['/registry/secrets/zz/dup2', secret('zz', 'dup', { data: { v: Buffer.from('second').toString('base64') } })],
    ['/registry/secrets/zz/ok1', secret('zz', 'ok1')],
  ]);
});
after(async () => {
  await snap?.remove();
  await rm(work, { recursive: true, force: true });
});

/** Every file under dir, relative, sorted. */
async function files(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? (d as unknown as { path: string }).path, d.name).slice(dir.length + 1))
    .sort();
}

test('--out: objects that cannot be written are skipped and named; all others are written; exit 3 with the counts', { skip }, async () => {
  const out = join(work, 'skip');
  const r = await runCli(['get', 'secrets', '-A', ...snap.args, '--out', out]);
  assert.equal(r.code, 3, r.err);
  const written = await files(out);
  const long = join('default', 'secrets', `${'l'.repeat(240)}.yaml`);
  assert.ok(written.includes(long), 'a valid 240-character name is written under its own name');
  const longest = written.filter((f) => f.startsWith(join('default', 'secrets', 'mmm')));
  assert.equal(longest.length, 1, 'a 253-character name is written under a shortened file name');
  assert.ok(Buffer.byteLength(longest[0]!.split('/').pop()!) <= 255);
  assert.equal(
    (parseYaml(await readFile(join(out, longest[0]!), 'utf8')) as { metadata: { name: string } }).metadata.name,
    'm'.repeat(253),
  );
  assert.match(r.err, /\/registry\/secrets\/default\/longest.*shortened|shortened.*\/registry\/secrets\/default\/longest/);
  assert.ok(written.includes(join('zz', 'secrets', 'ok1.yaml')), 'objects after the bad ones are written');
  for (const key of ['/registry/secrets/default/..', '/registry/secrets/default/a/b', '/registry/secrets/evil/x']) {
    assert.ok(r.err.includes(key), `${key} is named on stderr: ${r.err}`);
  }
  assert.match(r.err, /wrote 5 objects under .*; 3 not written/);
  assert.equal(written.length, 5);
});

test('--out: two keys holding objects of the same name give two files, and the collision is reported', { skip }, async () => {
  const out = join(work, 'dup');
  const r = await runCli(['get', 'secrets', '-n', 'zz', ...snap.args, '--out', out]);
  assert.equal(r.code, 0, r.err);
  const written = await files(join(out, 'zz', 'secrets'));
  assert.equal(written.length, 3, written.join(' '));
  const values = await Promise.all(
    written.map(async (f) => (parseYaml(await readFile(join(out, 'zz', 'secrets', f), 'utf8')) as { data: { v: string } }).data.v),
  );
  assert.ok(values.includes(Buffer.from('second').toString('base64')));
  assert.ok(values.includes(Buffer.from('value of dup').toString('base64')));
  assert.match(r.err, /\/registry\/secrets\/zz\/dup2.*\/registry\/secrets\/zz\/dup1/s);
  assert.match(r.err, /wrote 3 objects/);
});

test('--out: a symlinked folder planted inside DIR is never followed; wider folder modes are warned about', { skip }, async () => {
  const out = join(work, 'links');
  const elsewhere = join(work, 'elsewhere');
  await mkdir(elsewhere);
  await mkdir(out, { mode: 0o700 });
  await symlink(elsewhere, join(out, 'default'));
  await mkdir(join(out, 'zz'), { mode: 0o755 });
  await chmod(join(out, 'zz'), 0o755);
  await mkdir(join(elsewhere, 'x'));
  await symlink(join(elsewhere, 'x'), join(out, 'zz', 'secrets'));
  const r = await runCli(['get', 'secrets', '-A', ...snap.args, '--out', out]);
  assert.equal(r.code, 3, r.err);
  assert.deepEqual(await readdir(elsewhere), ['x'], 'nothing written through the links');
  assert.deepEqual(await readdir(join(elsewhere, 'x')), []);
  assert.match(r.err, /symbolic link/);
  assert.match(r.err, /zz.*0755|0755.*zz/);
  assert.ok((await lstat(join(out, 'default'))).isSymbolicLink(), 'the link itself is left alone');
  assert.match(r.err, /wrote 0 objects/);
});

test('--out: stale temp files of earlier runs are removed; files already there that this run did not write are listed', {
  skip,
}, async () => {
  const out = join(work, 'stale');
  const dir = join(out, 'zz', 'secrets');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // A run killed with SIGKILL: our temp name with a pid that cannot be alive, and the old naming.
  await writeFile(join(dir, '.k8s-enc-4194999-0123456789ab.tmp'), '');
  await writeFile(join(dir, '.ok1.yaml.0123456789ab.tmp'), '');
  await writeFile(join(dir, 'someone-else.yaml'), 'kind: Secret\n');
  const r = await runCli(['get', 'secrets', '-n', 'zz', ...snap.args, '--out', out]);
  assert.equal(r.code, 0, r.err);
  const left = await readdir(dir);
  assert.ok(!left.some((f) => f.endsWith('.tmp')), left.join(' '));
  assert.ok(left.includes('someone-else.yaml'), 'files that are not ours stay');
  assert.match(r.err, /removed 2 temp files/);
  assert.match(r.err, /someone-else\.yaml/);
  assert.match(r.err, /did not write/);
});

test('an interrupted write (SIGINT, SIGTERM) removes its temp file and dies of the signal', async () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const dir = await mkdtemp(join(work, 'sig-'));
    const script = `import { writeFileAtomic } from ${JSON.stringify(new URL('../src/cli/atomic-write.ts', import.meta.url).href)};
      await writeFileAtomic(${JSON.stringify(join(dir, 'big.yaml'))}, Buffer.alloc(1 << 30, 97));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    let seen = false;
    for (let i = 0; i < 400 && !seen; i++) {
      seen = (await readdir(dir)).some((f) => f.endsWith('.tmp') && f.startsWith('.k8s-enc-'));
      if (!seen) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(seen, 'the temp file appeared');
    child.kill(signal);
    assert.equal(await exited, signal);
    assert.deepEqual(await readdir(dir), [], `${signal}: no temp file left`);
  }
});

test('--out DIR is created 0700 and its files 0600', { skip }, async () => {
  const out = join(work, 'modes');
  const r = await runCli(['get', 'secrets', '-n', 'zz', ...snap.args, '--out', out]);
  assert.equal(r.code, 0, r.err);
  assert.equal((await stat(out)).mode & 0o777, 0o700);
  assert.equal((await stat(join(out, 'zz', 'secrets', 'ok1.yaml'))).mode & 0o777, 0o600);
});
