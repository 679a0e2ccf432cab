// Snapshots held in memory (openSnapshotBytes, openSalvageBytes over bbolt/bytes-file.ts) read
// exactly as the same bytes do from a file: the fuzz campaign reads most whole-snapshot inputs
// this way, so the two paths must not differ.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { K8sEncError } from '../src/errors.ts';
import { BytesFile } from '../src/etcd/bbolt/bytes-file.ts';
import { openSalvage, openSalvageBytes, type SalvageSource } from '../src/etcd/salvage/source.ts';
import { openSnapshotBytes } from '../src/etcd/snapshot-blob.ts';
import { openSnapshot, type SnapshotSource } from '../src/etcd/snapshot.ts';
import { zeroPage } from './fuzz/snapshot-damage.ts';
import { SALVAGE_SNAPSHOT } from './support/salvage-fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-bytes-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const snap = new Uint8Array(readFileSync(SALVAGE_SNAPSHOT));

async function everything(src: SnapshotSource | SalvageSource): Promise<string[]> {
  const out = [JSON.stringify(await src.info())];
  for await (const item of src.scan(new Uint8Array(0))) {
    out.push(
      item.ok
        ? `${Buffer.from(item.entry.key).toString('latin1')} ${item.entry.modRevision} ${Buffer.from(item.entry.value).toString('hex')} ${item.mayBeSuperseded === true}`
        : `error ${item.error.describe()}`,
    );
  }
  await src.close();
  return out;
}

test('openSnapshotBytes: the same info and scan as openSnapshot over the file, trailer verified', async () => {
  const fromFile = await openSnapshot(SALVAGE_SNAPSHOT);
  const { source, hasHash } = await openSnapshotBytes(snap);
  assert.equal(hasHash, true);
  assert.equal(source.trailer, 'verified');
  const got = await everything(source);
  assert.ok(got.length > 40, `${got.length} items`);
  assert.deepEqual(got, await everything(fromFile));
});

test('openSnapshotBytes: a changed byte fails the trailer check unless it is skipped; the name is the file', async () => {
  const damaged = snap.slice();
  damaged[5000]! ^= 1;
  await assert.rejects(openSnapshotBytes(damaged, { name: 'backup.db' }), (e: unknown) => {
    assert.ok(e instanceof K8sEncError);
    assert.equal(e.code, 'ERR_SNAPSHOT_HASH');
    assert.equal(e.file, 'backup.db');
    return true;
  });
  const { source } = await openSnapshotBytes(damaged, { skipHashCheck: true });
  assert.equal(source.trailer, 'skipped');
  await source.close();
});

test('openSalvageBytes: a zeroed leaf gives the same report and items as openSalvage over the file', async () => {
  const damaged = snap.slice();
  zeroPage(damaged, 20, 4096);
  const path = join(dir, 'damaged.db');
  writeFileSync(path, damaged);
  const fromFile = await openSalvage(path);
  const fromBytes = await openSalvageBytes(damaged, path);
  assert.deepEqual(fromBytes.report(), fromFile.report());
  assert.ok(fromBytes.report().damaged.some((d) => d.page === 20));
  const got = await everything(fromBytes);
  assert.ok(
    got.some((line) => line.endsWith(' true')),
    'some key says mayBeSuperseded',
  );
  assert.deepEqual(got, await everything(fromFile));
});

test('BytesFile: a read past the end of the bytes is ERR_IO, and a closed one cannot be read', () => {
  const f = new BytesFile(new Uint8Array(100), 'mem');
  assert.deepEqual(f.read(90, 10), new Uint8Array(10));
  assert.throws(
    () => f.read(95, 10, false),
    (e: unknown) => e instanceof K8sEncError && e.code === 'ERR_IO' && /short read/.test(e.message),
  );
  f.close();
  assert.throws(
    () => f.read(0, 10),
    (e: unknown) => e instanceof K8sEncError && e.code === 'ERR_IO' && /closed/.test(e.message),
  );
});
