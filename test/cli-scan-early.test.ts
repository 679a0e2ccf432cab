/**
 * Scan workers started before the command loads (src/cli/scan-early.ts): only for the scans that
 * use them, and never left running — a worker thread nobody ends keeps the process alive.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { utf8 } from '../src/bytes.ts';
import { SCAN_CHUNK, SCAN_CHUNK_BYTES } from '../src/cli/chunks.ts';
import { BoltDb } from '../src/etcd/bbolt/db.ts';
import { encodeKeyValue } from '../src/etcd/mvcc/keyvalue.ts';
import { revisionKey } from '../src/etcd/mvcc/revision.ts';
import { SnapshotSource } from '../src/etcd/snapshot.ts';
import { openDatabaseFile } from '../src/etcd/snapshot-file.ts';
import { writeSnapshotCopy } from '../src/etcd/snapshot-writer.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { earlyScanWorkers, EarlyWorkers } from '../src/cli/scan-early.ts';

const CONFIG = ['-c', 'vectors/sample/encryption-config.yaml'];

/** A file big enough for 2 scan threads to start at once (its content does not matter here). */
function bigFile(dir: string): string {
  const path = join(dir, 'big.db');
  writeFileSync(path, '');
  truncateSync(path, 2 * SCAN_CHUNK_BYTES);
  return path;
}

test('workers start early only for scans that run in worker threads, over a file big enough', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-early-'));
  try {
    const big = ['--snapshot', bigFile(dir), ...CONFIG, '--workers', '2'];
    const none: [string, string[]][] = [
      ['decrypt', big],
      ['verify', [...big, '--salvage']],
      ['verify', ['--snapshot', 'vectors/sample/snapshot.db', ...CONFIG, '--workers', '2']], // small file
      ['verify', [...big.slice(0, -1), '1']],
      ['verify', [...big.slice(0, -1), 'abc']], // the command reports the usage error
      ['verify', [...CONFIG, '--endpoints', 'http://127.0.0.1:1']], // live etcd
      ['verify', ['--snapshot', join(dir, 'missing.db'), ...CONFIG]],
      ['verify', [...big, '--no-such-flag']],
      ['get', ['secrets', ...big]], // yaml: printed by this thread
      ['get', ['secrets', 'one', ...big, '-o', 'ndjson']], // by name
      ['get', ['secrets', ...big, '-o', 'json', '--out', dir]],
    ];
    for (const [command, argv] of none) assert.equal(earlyScanWorkers(command, argv), null, `${command} ${argv.join(' ')}`);
    for (const [command, argv] of [
      ['verify', big],
      ['get', ['secrets', '-A', ...big, '-o', 'ndjson']],
      ['get', ['configmaps', ...big, '-o', 'name']],
    ] as [string, string[]][]) {
      const early = earlyScanWorkers(command, argv);
      assert.ok(early instanceof EarlyWorkers, `${command} ${argv.join(' ')}`);
      const worker = early.take();
      assert.ok(worker !== undefined && early.take() === undefined, 'one worker for 2 threads');
      await worker.terminate();
      await early.close();
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a scan that fails before it starts ends the workers started for it: the process exits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-early-'));
  try {
    const run = (args: string[]) =>
      promisify(execFile)(process.execPath, ['bin/k8s-enc.js', ...args], { timeout: 60_000 }).then(
        () => assert.fail('should fail'),
        (e: { code: number; killed: boolean; stderr: string }) => e,
      );
    const big = ['--snapshot', bigFile(dir), '--workers', '2'];
    // A config that cannot be read, and a file that is no snapshot: exit 1, not a hang.
    for (const args of [
      ['verify', ...big, '-c', join(dir, 'missing.yaml')],
      ['verify', ...big, ...CONFIG],
    ]) {
      const e = await run(args);
      assert.equal(e.killed, false, `${args.join(' ')}: exited by itself`);
      assert.equal(e.code, 1, `${args.join(' ')}: ${e.stderr}`);
      assert.match(e.stderr, /^error: /);
    }
  } finally {
    rmSync(dir, { recursive: true });
  }
});

/**
 * The sample snapshot with `count` more plaintext ConfigMaps appended to its key bucket (written
 * by the project's bbolt writer): enough values for several scan chunks without an etcd.
 */
async function paddedSample(path: string, count: number): Promise<void> {
  const { file, dataSize } = await openDatabaseFile('vectors/sample/snapshot.db');
  try {
    const db = new BoltDb(file, dataSize);
    const keys = new SnapshotSource(db, db.bucket(db.root, utf8('key'))!, () => {});
    const { revision } = await keys.info();
    const append = function* () {
      for (let i = 0; i < count; i++) {
        const name = `pad-${String(i).padStart(5, '0')}`;
        const key = utf8(`/registry/configmaps/default/${name}`);
        const value = encodeObject({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name, namespace: 'default' },
          data: { i: String(i) },
        });
        const main = revision + 1 + i;
        yield {
          key: revisionKey(main, 0),
          value: encodeKeyValue({ key, createRevision: main, modRevision: main, version: 1, value, lease: 0 }),
        };
      }
    };
    await writeSnapshotCopy(db, path, new Map([['key', { append }]]));
  } finally {
    file.close();
  }
}

test('node options a worker refuses (V8 flags) do not stop the scan workers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-early-'));
  try {
    const snap = join(dir, 'snap.db');
    await paddedSample(snap, 3 * SCAN_CHUNK);
    const args = (workers: string) => [
      '--max-semi-space-size=8',
      'bin/k8s-enc.js',
      'verify',
      '-o',
      'ndjson',
      '--snapshot',
      snap,
      ...CONFIG,
      '--workers',
      workers,
    ];
    const one = await promisify(execFile)(process.execPath, args('1'), { maxBuffer: 64 << 20 });
    const two = await promisify(execFile)(process.execPath, args('2'), { maxBuffer: 64 << 20 });
    assert.equal(two.stdout, one.stdout);
    assert.equal(one.stdout.split('\n').filter((l) => l.includes('/registry/configmaps/default/pad-')).length, 3 * SCAN_CHUNK);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
