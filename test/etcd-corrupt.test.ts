// Damaged bbolt files: targeted corruptions must name the page and what is wrong; fast-check
// mutations and truncations of a real etcd snapshot must give items or a K8sEncError, never a
// crash or a hang. Also the inline-bucket layout a tiny etcd database uses.
import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeGoStdBase64, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { BoltDb } from '../src/etcd/bbolt/db.ts';
import { RandomAccessFile } from '../src/etcd/bbolt/file.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import type { ScanItem } from '../src/etcd/source.ts';
import { EtcdWriter, snapshotSave } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';

async function scanAll(path: string): Promise<ScanItem[]> {
  const src = await openSnapshot(path, { skipHashCheck: true });
  try {
    await src.info();
    const out: ScanItem[] = [];
    for await (const it of src.scan(new Uint8Array(0))) out.push(it);
    return out;
  } finally {
    await src.close();
  }
}

async function expectCorrupt(path: string, message: RegExp, page?: number): Promise<K8sEncError> {
  let caught: unknown;
  try {
    await scanAll(path);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof K8sEncError, `want a K8sEncError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_BBOLT_CORRUPT', caught.message);
  assert.match(caught.message, message);
  if (page !== undefined) {
    assert.equal(caught.page, page);
    assert.match(caught.message, new RegExp(`page ${page}\\b`));
  }
  return caught;
}

const skip = etcdSkipReason();

describe('damaged snapshots', { skip, timeout: 300_000 }, () => {
  let dir: string;
  let base: Buffer; // the database without its sha256 trailer
  let pageSize: number;
  let layout: { keyRoot: number; leaves: number[]; lastLeaf: number; lastIndex: number; highWater: number };
  let entries: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8s-enc-etcd-corrupt-'));
    const server = await startEtcd();
    try {
      const w = await EtcdWriter.connect(server.endpoint);
      for (const line of readFileSync('vectors/transformers/positive.jsonl', 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const v = JSON.parse(line) as { authenticatedData: string; stored: string };
        if (v.authenticatedData.startsWith('/')) await w.put(utf8(v.authenticatedData), decodeGoStdBase64(v.stored)!);
      }
      w.close();
      await snapshotSave(server.endpoint, join(dir, 'snap.db'));
    } finally {
      await server.stop();
    }
    const full = readFileSync(join(dir, 'snap.db'));
    base = full.subarray(0, full.length - 32);
    await writeFile(join(dir, 'base.db'), base);
    const file = RandomAccessFile.open(join(dir, 'base.db'));
    const db = new BoltDb(file, base.length);
    pageSize = db.meta.pageSize;
    const kb = db.bucket(db.root, utf8('key'))!;
    const leaves: number[] = [];
    db.forEachLeaf(kb, (n) => leaves.push(n.page));
    const last = db.last(kb)!;
    layout = { keyRoot: kb.root, leaves, lastLeaf: last.node.page, lastIndex: last.index, highWater: db.meta.pgid };
    file.close();
    entries = (await scanAll(join(dir, 'base.db'))).length;
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the database with `edit` applied at byte offsets. */
  async function damaged(name: string, edit: (b: Buffer) => void, length = base.length): Promise<string> {
    const copy = Buffer.from(base.subarray(0, length));
    edit(copy);
    const path = join(dir, name);
    await writeFile(path, copy);
    return path;
  }

  const elem = (page: number, i: number): number => page * pageSize + 16 + i * 16;

  test('the fixture has a multi-level key bucket and reads cleanly', async () => {
    assert.ok(layout.leaves.length > 3, 'several leaves');
    assert.notEqual(base.readUInt16LE(layout.keyRoot * pageSize + 8), 2, 'key bucket root is a branch');
    assert.ok(entries > 50);
  });

  test('bad magic in both meta pages', async () => {
    const p = await damaged('magic.db', (b) => {
      b.writeUInt32LE(0x12345678, 16);
      b.writeUInt32LE(0x12345678, pageSize + 16);
    });
    await expectCorrupt(p, /no valid bbolt meta page: page 0: bad magic.*page 1: /, 0);
  });

  test('one bad meta: the other one is used', async () => {
    const p = await damaged('meta0.db', (b) => {
      b[16 + 20]! ^= 0xff; // root pgid byte: checksum no longer matches
    });
    assert.equal((await scanAll(p)).length, entries);
  });

  test('a truncated file names the first page past the end', async () => {
    const p = await damaged('trunc.db', () => {}, layout.keyRoot * pageSize);
    await expectCorrupt(p, /lies beyond the end of the file .*truncated/);
  });

  test('a branch pointing outside the database', async () => {
    const p = await damaged('range.db', (b) => b.writeUInt32LE(layout.highWater + 1000, elem(layout.keyRoot, 0) + 8));
    await expectCorrupt(p, new RegExp(`page ${layout.highWater + 1000} is out of range`), layout.highWater + 1000);
  });

  test('a branch pointing to itself is a loop', async () => {
    const p = await damaged('loop.db', (b) => b.writeUInt32LE(layout.keyRoot, elem(layout.keyRoot, 0) + 8));
    await expectCorrupt(p, /loop detected/, layout.keyRoot);
  });

  test('two branch elements pointing to one leaf is a loop too', async () => {
    const p = await damaged('dag.db', (b) => {
      const first = b.readUInt32LE(elem(layout.keyRoot, 0) + 8);
      b.writeUInt32LE(first, elem(layout.keyRoot, 1) + 8);
    });
    await expectCorrupt(p, /reached twice: loop detected/);
  });

  test('unexpected page flags', async () => {
    const leaf = layout.leaves[1]!;
    const p = await damaged('flags.db', (b) => b.writeUInt16LE(0x10, leaf * pageSize + 8));
    await expectCorrupt(p, /unexpected page flags 0x10/, leaf);
  });

  test('a page whose header names another page', async () => {
    const leaf = layout.leaves[1]!;
    const p = await damaged('id.db', (b) => b.writeUInt32LE(leaf + 1, leaf * pageSize));
    await expectCorrupt(p, new RegExp(`page ${leaf}: header says page ${leaf + 1}`), leaf);
  });

  test('an element out of bounds', async () => {
    const leaf = layout.leaves[1]!;
    const p = await damaged('bounds.db', (b) => b.writeUInt32LE(0xffffff, elem(leaf, 0) + 12));
    await expectCorrupt(p, /element 0 out of bounds/, leaf);
  });

  test('a revision key of the wrong shape is one error item naming the page; the scan goes on', async () => {
    const leaf = layout.leaves[1]!;
    const p = await damaged('revkey.db', (b) => b.writeUInt32LE(16, elem(leaf, 0) + 8));
    const items = await scanAll(p);
    const bad = items.filter((it) => !it.ok);
    assert.equal(bad.length, 1);
    const err = (bad[0] as { error: K8sEncError }).error;
    assert.equal(err.code, 'ERR_ETCD_CORRUPT');
    assert.equal(err.page, leaf);
    assert.match(err.message, /16-byte key, want a 17-byte revision or an 18-byte tombstone/);
    assert.ok(items.filter((it) => it.ok).length >= entries - 1);
  });

  test('an undecodable value is reported with its etcd key; the scan goes on', async () => {
    const { lastLeaf, lastIndex } = layout;
    const at = elem(lastLeaf, lastIndex);
    const valueStart = at + base.readUInt32LE(at + 4) + base.readUInt32LE(at + 8);
    const keyLen = base[valueStart + 1]!; // 0x0a <len> key..., etcd keys here are < 128 bytes
    assert.equal(base[valueStart], 0x0a);
    const key = base.subarray(valueStart + 2, valueStart + 2 + keyLen);
    const p = await damaged('value.db', (b) => {
      b[valueStart + 2 + keyLen] = 0x17; // create_revision with wire type 7
    });
    const items = await scanAll(p);
    const bad = items.filter((it) => !it.ok);
    assert.equal(bad.length, 1);
    const item = bad[0] as { error: K8sEncError; key?: Uint8Array };
    assert.deepEqual(Buffer.from(item.key!), Buffer.from(key));
    assert.equal(item.error.etcdKey, key.toString('utf8'));
    assert.match(item.error.message, /proto: wrong wireType = 7 for field CreateRevision/);
    assert.equal(items.length, entries);
  });

  test('fast-check: mutated bytes in the pages that matter never crash or hang the reader', async () => {
    const path = join(dir, 'fuzz.db');
    await writeFile(path, base);
    const hot = [0, 1, layout.keyRoot, ...layout.leaves];
    const offset = fc.oneof(
      fc.tuple(fc.constantFrom(...hot), fc.nat({ max: pageSize - 1 })).map(([pg, o]) => pg * pageSize + o),
      fc.tuple(fc.constantFrom(...hot), fc.nat({ max: 63 })).map(([pg, o]) => pg * pageSize + o), // headers, element tables
      fc.nat({ max: base.length - 1 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(offset, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
        const fd = openSync(path, 'r+');
        try {
          for (const [o, v] of edits) writeSync(fd, Uint8Array.of(v), 0, 1, o);
          try {
            await scanAll(path);
          } catch (e) {
            assert.ok(e instanceof K8sEncError, `not a K8sEncError: ${(e as Error)?.stack ?? String(e)}`);
          }
        } finally {
          for (const [o] of edits) writeSync(fd, base.subarray(o, o + 1), 0, 1, o);
          closeSync(fd);
        }
      }),
      { numRuns: 150 },
    );
  });

  test('fast-check: truncated copies never crash the reader', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: base.length }), async (length) => {
        const p = await damaged('cut.db', () => {}, length);
        try {
          await scanAll(p);
        } catch (e) {
          assert.ok(e instanceof K8sEncError, `not a K8sEncError: ${String(e)}`);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('a tiny etcd database', { skip, timeout: 60_000 }, () => {
  test('keeps its key bucket inline in the root bucket page, and reads', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-etcd-tiny-'));
    const server = await startEtcd();
    try {
      const w = await EtcdWriter.connect(server.endpoint);
      const rev = await w.put(utf8('/registry/secrets/default/tiny'), utf8('small'));
      w.close();
      const snap = join(dir, 'tiny.db');
      await snapshotSave(server.endpoint, snap);
      const file = RandomAccessFile.open(snap);
      const db = new BoltDb(file, file.size - 32);
      const inline = db.bucket(db.root, utf8('key'))?.inline;
      file.close();
      assert.ok(inline !== undefined, 'key bucket is inline');
      const src = await openSnapshot(snap);
      const items = [];
      for await (const it of src.scan(utf8('/registry/'))) items.push(it);
      assert.deepEqual(items, [
        {
          ok: true,
          entry: {
            key: utf8('/registry/secrets/default/tiny'),
            value: utf8('small'),
            createRevision: rev,
            modRevision: rev,
            version: 1,
            lease: 0,
          },
        },
      ]);
      assert.deepEqual(await src.info(), { revision: rev, compactRevision: 0 });
      await src.close();
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
