// A real etcd filled with the shared vectors' stored values under their etcd keys (several
// revisions per key, deletes, a compaction, more writes after it); then `etcdctl snapshot save`.
// Reads over the snapshot, over the member db and over endpoints must all equal what etcd was
// told (the model records every put/delete with the revision etcd returned).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeGoStdBase64, toHex, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { openEndpoints } from '../src/etcd/live.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import type { EtcdSource, ScanItem } from '../src/etcd/source.ts';
import { EtcdModel, EtcdWriter, deleteBoth, putBoth, snapshotSave, type ExpectedEntry } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd, type EtcdServer } from './support/etcd-server.ts';

const REGISTRY = utf8('/registry/');

function vectorValues(): { key: Uint8Array; value: Uint8Array }[] {
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  for (const file of ['positive', 'negative', 'chains']) {
    const text = readFileSync(`vectors/transformers/${file}.jsonl`, 'utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const v = JSON.parse(line) as { authenticatedData?: string; stored?: string };
      if (v.stored === undefined || !v.authenticatedData?.startsWith('/')) continue;
      out.push({ key: utf8(v.authenticatedData), value: decodeGoStdBase64(v.stored)! });
    }
  }
  return out;
}

async function collect(items: AsyncIterable<ScanItem>): Promise<ScanItem[]> {
  const out: ScanItem[] = [];
  for await (const it of items) out.push(it);
  return out;
}

/** Items as comparable rows; any {ok:false} item fails the comparison visibly. */
async function rows(src: EtcdSource, prefix: Uint8Array, revision?: number): Promise<string[]> {
  const items = await collect(src.scan(prefix, revision === undefined ? {} : { revision }));
  return items.map((it) =>
    it.ok
      ? `${toHex(it.entry.key)} ${it.entry.createRevision}/${it.entry.modRevision}/${it.entry.version}/${it.entry.lease} ${toHex(it.entry.value)}`
      : `ERROR ${it.error.describe()}`,
  );
}

function expectedRows(entries: ExpectedEntry[]): string[] {
  return entries.map((e) => `${toHex(e.key)} ${e.createRevision}/${e.modRevision}/${e.version}/0 ${toHex(e.value)}`);
}

async function rejectsWith(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof K8sEncError, `not a K8sEncError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const skip = etcdSkipReason();

describe('etcd data read over a snapshot, the member db and endpoints', { skip, timeout: 300_000 }, () => {
  let server: EtcdServer;
  let dir: string;
  let snap: string;
  const model = new EtcdModel();
  let compactRev = 0;
  let finalRev = 0;
  let beforeUpdates = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'k8s-enc-etcd-test-'));
    server = await startEtcd();
    const w = await EtcdWriter.connect(server.endpoint);
    try {
      const values = vectorValues();
      for (const { key, value } of values) await putBoth(w, model, key, value);
      // Keys whose bytes are above 0x7f, and one outside /registry/, for ordering and prefixes.
      await putBoth(w, model, Uint8Array.from([...utf8('/registry/secrets/default/'), 0xff, 0x00]), utf8('raw key'));
      await putBoth(w, model, utf8('/registry/secrets/ns/é'), utf8('utf-8 key'));
      await putBoth(w, model, utf8('/other/key'), utf8('outside the registry'));
      const keys = model.liveKeys();
      for (let i = 0; i < keys.length; i += 5) await deleteBoth(w, model, keys[i]!);
      beforeUpdates = await w.put(utf8('/registry/marker'), utf8('m'));
      model.put(utf8('/registry/marker'), utf8('m'), beforeUpdates);
      // Second round: re-creates deleted keys (version restarts) and adds revisions to live ones.
      for (const { key, value } of values.slice(0, 120)) await putBoth(w, model, key, value);
      compactRev = beforeUpdates + 40;
      await w.compact(compactRev);
      for (const { key, value } of values.slice(200, 240)) await putBoth(w, model, key, value);
      for (const key of model.liveKeys().slice(0, 3)) await deleteBoth(w, model, key);
      finalRev = await putBoth(w, model, utf8('/registry/secrets/default/last'), utf8('the newest revision'));
    } finally {
      w.close();
    }
    snap = join(dir, 'snapshot.db');
    await snapshotSave(server.endpoint, snap);
  });

  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('the snapshot has the sha256 trailer and the expected revisions', async () => {
    const size = (await readFile(snap)).length;
    assert.equal(size % 512, 32);
    const src = await openSnapshot(snap);
    try {
      assert.deepEqual(await src.info(), { revision: finalRev, compactRevision: compactRev });
    } finally {
      await src.close();
    }
  });

  test('snapshot: latest state equals what etcd was told, for a prefix and for everything, mapped or read', async () => {
    // Mapped (the native addon's mmap) and read with positioned reads (K8S_ENC_MMAP=0, or no addon).
    for (const mmap of ['1', '0']) {
      process.env.K8S_ENC_MMAP = mmap;
      const src = await openSnapshot(snap);
      try {
        assert.deepEqual(await rows(src, REGISTRY), expectedRows(model.at(REGISTRY)), `K8S_ENC_MMAP=${mmap}`);
        assert.deepEqual(await rows(src, new Uint8Array(0)), expectedRows(model.at(new Uint8Array(0))));
        const some = utf8('/registry/secrets/default/s');
        assert.deepEqual(await rows(src, some), expectedRows(model.at(some)));
        assert.deepEqual(await rows(src, utf8('/nothing/')), []);
      } finally {
        await src.close();
        delete process.env.K8S_ENC_MMAP;
      }
    }
  });

  test('snapshot and endpoints agree at older revisions; below the compaction both fail', async () => {
    const snapSrc = await openSnapshot(snap);
    const live = await openEndpoints({ endpoints: [server.endpoint] });
    try {
      assert.deepEqual(await live.info(), { revision: finalRev, compactRevision: compactRev });
      for (const r of [compactRev, compactRev + 1, compactRev + 17, finalRev - 1, finalRev]) {
        const want = expectedRows(model.at(REGISTRY, r));
        assert.deepEqual(await rows(snapSrc, REGISTRY, r), want, `snapshot at ${r}`);
        assert.deepEqual(await rows(live, REGISTRY, r), want, `endpoints at ${r}`);
      }
      assert.deepEqual(await rows(live, REGISTRY), expectedRows(model.at(REGISTRY)));
      for (const src of [snapSrc, live]) {
        await rejectsWith(
          collect(src.scan(REGISTRY, { revision: compactRev - 1 })),
          'ERR_ETCD_COMPACTED',
          /^required revision has been compacted$/,
        );
        await rejectsWith(src.get(utf8('/registry/marker'), { revision: 1 }), 'ERR_ETCD_COMPACTED');
        await rejectsWith(collect(src.scan(REGISTRY, { revision: finalRev + 1 })), 'ERR_ETCD_FUTURE_REVISION', /future revision/);
      }
    } finally {
      await snapSrc.close();
      await live.close();
    }
  });

  test('get: a live key, a deleted key, an older revision', async () => {
    const snapSrc = await openSnapshot(snap);
    const live = await openEndpoints({ endpoints: [`127.0.0.1:1`, server.endpoint], timeoutMs: 2000 });
    try {
      const deleted = model
        .at(new Uint8Array(0), beforeUpdates - 1)
        .find((e) => !model.at(e.key).some((x) => Buffer.compare(x.key, e.key) === 0));
      assert.ok(deleted, 'the dataset has a deleted key');
      for (const src of [snapSrc, live]) {
        const e = await src.get(utf8('/registry/secrets/default/last'));
        assert.equal(e?.modRevision, finalRev);
        assert.deepEqual(e?.value, utf8('the newest revision'));
        assert.equal(await src.get(deleted.key), null);
        const old = await src.get(utf8('/registry/marker'), { revision: compactRev });
        assert.deepEqual(old?.value, utf8('m'));
        assert.equal(await src.get(utf8('/registry/secrets/default/last'), { revision: finalRev - 1 }), null);
      }
    } finally {
      await snapSrc.close();
      await live.close();
    }
  });

  test('a wrong sha256 trailer is reported; skipHashCheck reads anyway; a bare database has none', async () => {
    const bytes = await readFile(snap);
    const tampered = join(dir, 'tampered.db');
    const copy = Buffer.from(bytes);
    copy[copy.length - 1]! ^= 1;
    await writeFile(tampered, copy);
    await rejectsWith(openSnapshot(tampered), 'ERR_SNAPSHOT_HASH', /sha256 mismatch/);
    // Overlapped: opening succeeds, and every read fails with the hash error instead of returning data.
    const overlapped = await openSnapshot(tampered, { overlapHashCheck: true });
    await rejectsWith(rows(overlapped, REGISTRY), 'ERR_SNAPSHOT_HASH', /sha256 mismatch/);
    await rejectsWith(overlapped.plan(REGISTRY), 'ERR_SNAPSHOT_HASH');
    await rejectsWith(overlapped.get(utf8('/registry/secrets/default/a')), 'ERR_SNAPSHOT_HASH');
    await rejectsWith(overlapped.info(), 'ERR_SNAPSHOT_HASH');
    await rejectsWith(overlapped.hashChecked(), 'ERR_SNAPSHOT_HASH');
    await overlapped.close();
    // A damaged page: the hash error wins over whatever pass 1 meets in the unchecked data.
    const damaged = join(dir, 'damaged.db');
    const zeroed = Buffer.from(bytes);
    zeroed.fill(0xff, 4096 * 2, copy.length - 32);
    await writeFile(damaged, zeroed);
    const readDamaged = async () => {
      const damagedSrc = await openSnapshot(damaged, { overlapHashCheck: true });
      try {
        return await rows(damagedSrc, REGISTRY);
      } finally {
        await damagedSrc.close();
      }
    };
    await rejectsWith(readDamaged(), 'ERR_SNAPSHOT_HASH');
    const good = await openSnapshot(snap, { overlapHashCheck: true });
    assert.deepEqual(await rows(good, REGISTRY), expectedRows(model.at(REGISTRY)));
    await good.hashChecked();
    await good.close();
    const src = await openSnapshot(tampered, { skipHashCheck: true });
    assert.deepEqual(await rows(src, REGISTRY), expectedRows(model.at(REGISTRY)));
    await src.close();
    const bare = join(dir, 'bare.db');
    await writeFile(bare, bytes.subarray(0, bytes.length - 32));
    const bareSrc = await openSnapshot(bare);
    assert.deepEqual(await rows(bareSrc, REGISTRY), expectedRows(model.at(REGISTRY)));
    await bareSrc.close();
  });

  test('a zip archive (k3s/rke2 snapshot) gets a clear error', async () => {
    const zip = join(dir, 'snap.zip');
    await writeFile(zip, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100)]));
    await rejectsWith(openSnapshot(zip), 'ERR_INPUT', /zip archive.*unzip/);
  });

  // Last: this one stops the server to read its member db in a consistent state.
  test('member db of the stopped server reads the same', async () => {
    await server.halt();
    const db = join(dir, 'member.db');
    await copyFile(server.dbPath, db);
    const src = await openSnapshot(db);
    try {
      assert.deepEqual(await src.info(), { revision: finalRev, compactRevision: compactRev });
      assert.deepEqual(await rows(src, REGISTRY), expectedRows(model.at(REGISTRY)));
      assert.deepEqual(await rows(src, REGISTRY, compactRev + 1), expectedRows(model.at(REGISTRY, compactRev + 1)));
    } finally {
      await src.close();
    }
  });
});
