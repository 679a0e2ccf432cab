/**
 * The bbolt writer against the bbolt reader: any tree of buckets written from scratch reads back
 * exactly (keys, values, nesting, sequences), with overflow pages, several branch levels and inline
 * buckets by bbolt's rule; the sha256 trailer is what `etcdctl snapshot save` would append. That
 * etcd itself accepts what the writer makes is shown in rewrite-offline.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes, utf8 } from '../src/bytes.ts';
import { BucketWriter } from '../src/etcd/bbolt/bucket-writer.ts';
import { BoltDb, type BucketRef } from '../src/etcd/bbolt/db.ts';
import { BUCKET_LEAF_FLAG } from '../src/etcd/bbolt/node.ts';
import { BoltFileWriter } from '../src/etcd/bbolt/writer.ts';
import { openDatabaseFile } from '../src/etcd/snapshot-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-bbolt-writer-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

/** A bucket: plain entries and nested buckets, by key. */
interface Tree {
  entries: Map<string, Uint8Array | Tree>;
}

const keyArb = fc.uint8Array({ minLength: 1, maxLength: 40 });
const valueArb = (pageSize: number) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 64 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3 * pageSize }) },
  );

function treeArb(pageSize: number, depth: number): fc.Arbitrary<Tree> {
  const child: fc.Arbitrary<Uint8Array | Tree> =
    depth === 0
      ? valueArb(pageSize)
      : fc.oneof(
          { weight: 6, arbitrary: valueArb(pageSize) },
          { weight: 1, arbitrary: fc.constant(null).chain(() => treeArb(pageSize, depth - 1)) },
        );
  return fc.array(fc.tuple(keyArb, child), { maxLength: 120 }).map((pairs) => ({
    entries: new Map(pairs.map(([k, v]) => [Buffer.from(k).toString('latin1'), v])),
  }));
}

function sorted(t: Tree): [Uint8Array, Uint8Array | Tree][] {
  return [...t.entries]
    .map(([k, v]) => [new Uint8Array(Buffer.from(k, 'latin1')), v] as [Uint8Array, Uint8Array | Tree])
    .sort((a, b) => compareBytes(a[0], b[0]));
}

function writeTree(file: BoltFileWriter, t: Tree): BucketWriter {
  const w = new BucketWriter(file, 7n);
  for (const [k, v] of sorted(t)) {
    if (v instanceof Uint8Array) w.put(k, v);
    else w.putBucket(k, writeTree(file, v));
  }
  return w;
}

async function roundTrip(root: Tree, pageSize: number): Promise<{ db: BoltDb; close: () => void }> {
  const path = join(dir, `t${fileCount++}.db`);
  writeFileSync(path, '', { mode: 0o600 });
  const file = new BoltFileWriter(path, pageSize);
  const top = new BucketWriter(file);
  for (const [k, v] of sorted(root)) top.putBucket(k, writeTree(file, v as Tree));
  file.finish(top.finishRoot(), 41n, { trailer: true });
  file.close();
  const { file: f, dataSize, hasHash } = await openDatabaseFile(path);
  assert.ok(hasHash, 'the sha256 trailer is there and matches');
  return { db: new BoltDb(f, dataSize), close: () => f.close() };
}

function readTree(db: BoltDb, ref: BucketRef): Tree {
  const entries = new Map<string, Uint8Array | Tree>();
  const nested: [string, BucketRef][] = [];
  db.forEachLeaf(ref, (leaf) => {
    for (let i = 0; i < leaf.count; i++) {
      const k = Buffer.from(leaf.key(i)).toString('latin1');
      if ((leaf.elementFlags(i) & BUCKET_LEAF_FLAG) !== 0) {
        const value = leaf.value(i);
        assert.equal(new DataView(value.buffer, value.byteOffset).getBigUint64(8, true), 7n, 'bucket sequence kept');
        nested.push([k, db.bucketFromValue(leaf, value.slice())]);
      } else entries.set(k, leaf.value(i).slice());
    }
  });
  for (const [k, r] of nested) entries.set(k, readTree(db, r));
  return { entries };
}

function same(a: Tree, b: Tree): void {
  assert.deepEqual([...a.entries.keys()].sort(), [...b.entries.keys()].sort());
  for (const [k, v] of a.entries) {
    const w = b.entries.get(k)!;
    if (v instanceof Uint8Array) assert.deepEqual([...(w as Uint8Array)], [...v]);
    else same(v, w as Tree);
  }
}

describe('bbolt writer', () => {
  for (const pageSize of [4096, 1024]) {
    it(`any tree of buckets reads back exactly (page size ${pageSize})`, async () => {
      const rootArb = fc.array(fc.tuple(keyArb, treeArb(pageSize, 2)), { minLength: 1, maxLength: 6 }).map((pairs) => ({
        entries: new Map<string, Uint8Array | Tree>(pairs.map(([k, v]) => [Buffer.from(k).toString('latin1'), v])),
      }));
      await fc.assert(
        fc.asyncProperty(rootArb, async (root) => {
          const { db, close } = await roundTrip(root, pageSize);
          try {
            assert.equal(db.meta.pageSize, pageSize);
            assert.equal(db.meta.txid, 42n, 'the meta with the higher txid wins');
            same(readTree(db, db.root), root);
          } finally {
            close();
          }
        }),
        { numRuns: 40 },
      );
    });
  }

  it('a big bucket gets several branch levels, and keys come back in order', async () => {
    const big: Tree = { entries: new Map() };
    for (let i = 0; i < 20_000; i++) big.entries.set(`key-${String(i).padStart(6, '0')}`, utf8(`value ${i}`));
    const { db, close } = await roundTrip({ entries: new Map([['b', big]]) }, 1024);
    try {
      const ref = db.bucket(db.root, utf8('b'))!;
      let depth = 1;
      for (let n = db.node(ref.root); !n.isLeaf; n = db.node(n.child(0))) depth++;
      assert.ok(depth >= 3, `depth ${depth}`);
      let last: Uint8Array | null = null;
      let count = 0;
      db.forEachLeaf(ref, (leaf) => {
        for (let i = 0; i < leaf.count; i++, count++) {
          const k = leaf.key(i).slice();
          if (last !== null) assert.ok(compareBytes(last, k) < 0);
          last = k;
        }
      });
      assert.equal(count, 20_000);
    } finally {
      close();
    }
  });

  it('inlines a bucket exactly when bbolt would: one leaf of at most a quarter page, no nested buckets', async () => {
    // A quarter of 4096 is 1024 bytes: 16 header + (16 + 1 + value) per element.
    const fits = { entries: new Map<string, Uint8Array | Tree>([['a', new Uint8Array(1024 - 16 - 17)]]) };
    const over = { entries: new Map<string, Uint8Array | Tree>([['a', new Uint8Array(1024 - 16 - 16)]]) };
    const nested = { entries: new Map<string, Uint8Array | Tree>([['n', { entries: new Map() }]]) };
    const { db, close } = await roundTrip(
      {
        entries: new Map([
          ['fits', fits],
          ['over', over],
          ['nested', nested],
        ]),
      },
      4096,
    );
    try {
      assert.equal(db.bucket(db.root, utf8('fits'))!.root, 0);
      assert.notEqual(db.bucket(db.root, utf8('over'))!.root, 0);
      assert.notEqual(db.bucket(db.root, utf8('nested'))!.root, 0);
      const inner = db.bucket(db.bucket(db.root, utf8('nested'))!, utf8('n'))!;
      assert.equal(inner.root, 0, 'an empty bucket is inline');
    } finally {
      close();
    }
  });

  it('refuses keys out of order and empty keys', () => {
    const path = join(dir, 'order.db');
    writeFileSync(path, '');
    const file = new BoltFileWriter(path, 4096);
    const w = new BucketWriter(file);
    w.put(utf8('b'), utf8('1'));
    assert.throws(() => w.put(utf8('a'), utf8('2')), /keys out of order/);
    assert.throws(() => w.put(new Uint8Array(0), utf8('2')), /cannot be empty/);
    file.close();
  });
});
