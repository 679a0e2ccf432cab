// `--salvage` over damaged real etcd snapshots: vectors/salvage/snapshot.db (no etcd needed) and one
// a real etcd builds here, each damaged the ways backups get damaged. Expectations come from an
// independent page map of the undamaged file (test/support/page-map.ts): every key whose newest
// revision sits on an intact page comes back with exactly its bytes, keys whose newest revision was
// destroyed carry mayBeSuperseded, the damaged pages are named with the revisions they held, exit 3.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { createTransformer } from '../src/config/create-transformer.ts';
import type { EncryptionConfig, ProviderConfig } from '../src/config/types.ts';
import { openSalvage } from '../src/etcd/salvage/source.ts';
import { orderedKeys } from '../src/etcd/salvage/walk.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { runCli } from './support/cli-io.ts';
import { EtcdWriter, snapshotSave } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd } from './support/etcd-server.ts';
import { readPageMap, type PageMap } from './support/page-map.ts';
import { salvageCases, type SalvageCase } from './support/salvage-cases.ts';
import { SALVAGE_CONFIG, SALVAGE_SNAPSHOT } from './support/salvage-fixture.ts';
import { salvageAll, salvageProblems } from './support/salvage-oracle.ts';
import { touchedPages } from './fuzz/snapshot-damage.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8s-enc-salvage-'));
});
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The `revisions a..b` (etc.) of each report line naming `page`, as [first, last]. */
function reportedRanges(stderr: string, page: number): [number, number][] {
  const lines = stderr.split('\n').filter((l) => l.startsWith(`salvage: damaged page ${page}:`));
  assert.ok(lines.length > 0, `stderr names damaged page ${page}:\n${stderr}`);
  return lines.map((line): [number, number] => {
    const m = /could have held (?:revisions (\d+)\.\.(\d+)|revisions (\d+) and later|revisions up to (\d+)|any revision)$/.exec(line);
    assert.ok(m, line);
    if (m[1] !== undefined) return [Number(m[1]), Number(m[2])];
    if (m[3] !== undefined) return [Number(m[3]), Infinity];
    if (m[4] !== undefined) return [0, Number(m[4])];
    return [0, Infinity];
  });
}

async function checkCase(t: TestContext, snap: Buffer, map: PageMap, c: SalvageCase, config: string): Promise<void> {
  const path = join(dir, `${c.name.replace(/\W+/g, '-')}.db`);
  writeFileSync(path, c.bytes);

  // Without --salvage: the damage is an error (exit 1 with the hint where it stops the read, 3 where
  // only some values fail).
  const plain = await runCli(['get', 'secrets', '-A', '-o', 'name', '--snapshot', path, '-c', config]);
  assert.ok(plain.code === 1 || plain.code === 3, plain.err);
  if (plain.code === 1) assert.match(plain.err, /hint: the snapshot is damaged; --salvage recovers every value that is still intact/);
  assert.ok(/hint: .*--salvage recovers/.test(plain.err) || /cannot decode mvccpb.KeyValue|error: /.test(plain.err), plain.err);

  // The oracle over the page map.
  const { keys, errors } = await salvageAll(path);
  assert.deepEqual(errors, []);
  assert.deepEqual(salvageProblems(map, touchedPages(snap, c.bytes, map.pageSize), keys, c.bytes), []);

  // verify --salvage: records with mayBeSuperseded, damaged pages with their revisions, exit 3.
  const v = await runCli(['verify', '-o', 'ndjson', '--salvage', '--snapshot', path, '-c', config]);
  assert.equal(v.code, 3, v.err);
  const records = v.out
    .trim()
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as { key: string; mayBeSuperseded?: boolean });
  assert.equal(records.length, keys.size);
  for (const r of records) {
    const k = keys.get(Buffer.from(r.key).toString('latin1'))!;
    assert.equal(r.mayBeSuperseded === true, k.mayBeSuperseded, r.key);
  }
  for (const { page, revisions } of c.destroyed) {
    const ranges = reportedRanges(v.err, page);
    for (const r of revisions)
      assert.ok(
        ranges.some(([a, b]) => a <= r && r <= b),
        `page ${page}: revision ${r} in a reported range (${JSON.stringify(ranges)})`,
      );
  }

  // get --salvage: the secrets as objects, a warning per key that may be superseded, exit 3.
  const g = await runCli(['get', 'secrets', '-A', '-o', 'ndjson', '--salvage', '--snapshot', path, '-c', config]);
  assert.equal(g.code, 3, g.err);
  const secrets = [...keys.entries()].filter(([k]) => k.startsWith('/registry/secrets/'));
  // Each secret as an object, or as an error when its bytes parsed but do not decrypt (a flipped value).
  const objects = g.out
    .trim()
    .split('\n')
    .filter((l) => l !== '').length;
  const failed = g.err.split('\n').filter((l) => l.startsWith('error: /registry/secrets/')).length;
  assert.equal(objects + failed, secrets.length, g.err);
  const warned = new Set([...g.err.matchAll(/^warning: (\S+): may be superseded/gm)].map((m) => m[1]));
  assert.deepEqual(
    [...warned].sort(),
    secrets
      .filter(([, s]) => s.mayBeSuperseded)
      .map(([k]) => k)
      .sort(),
  );
  assert.match(g.err, /salvage: \d+ damaged ranges?;|salvage: both meta pages are damaged/);

  // For the closing note: how much came back.
  const live = new Map<string, { main: number; tombstone: boolean }>();
  for (const l of map.leaves.values()) for (const e of l.entries) if ((live.get(e.key)?.main ?? -1) < e.main) live.set(e.key, e);
  const liveKeys = [...live.entries()].filter(([, e]) => !e.tombstone);
  const exact = liveKeys.filter(([k, e]) => keys.get(k)?.revision === e.main).length;
  const flagged = [...keys.values()].filter((k) => k.mayBeSuperseded).length;
  t.diagnostic(
    `${c.name}: ${exact} of ${liveKeys.length} live keys at their newest revision, ${keys.size - exact} older or resurrected, ${flagged} flagged mayBeSuperseded`,
  );
}

async function suite(snapPath: string, _config: string): Promise<{ snap: Buffer; map: PageMap; cases: SalvageCase[] }> {
  const snap = readFileSync(snapPath);
  const map = await readPageMap(snap);
  return { snap, map, cases: salvageCases(snap, map) };
}

describe('--salvage over vectors/salvage/snapshot.db', async () => {
  const { snap, map, cases } = await suite(SALVAGE_SNAPSHOT, SALVAGE_CONFIG);

  test('an undamaged snapshot: the same output as without --salvage, exit 0, the trailer check said skipped', async () => {
    for (const args of [
      ['get', 'secrets', '-A', '-o', 'ndjson'],
      ['verify', '-o', 'ndjson'],
    ]) {
      const plain = await runCli([...args, '--snapshot', SALVAGE_SNAPSHOT, '-c', SALVAGE_CONFIG]);
      const salvaged = await runCli([...args, '--salvage', '--snapshot', SALVAGE_SNAPSHOT, '-c', SALVAGE_CONFIG]);
      assert.equal(plain.code, 0);
      assert.equal(salvaged.code, 0, salvaged.err);
      assert.equal(salvaged.out, plain.out);
      assert.match(salvaged.err, /salvage: the sha256 trailer is not checked \(--salvage implies --skip-hash-check\)/);
      assert.match(salvaged.err, /salvage: no damaged key bucket pages found/);
    }
  });

  test('--salvage reads snapshot files only', async () => {
    const r = await runCli(['verify', '--salvage', '--endpoints', 'http://127.0.0.1:1', '-c', SALVAGE_CONFIG]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--salvage reads --snapshot files/);
  });

  for (const c of cases) test(c.name, (t) => checkCase(t, snap, map, c, SALVAGE_CONFIG));

  test('get NAME --salvage: a key whose newest revision was on the zeroed page comes back older, named on stderr', async () => {
    const c = cases.find((x) => x.name === 'a zeroed leaf page')!;
    const path = join(dir, 'by-name.db');
    writeFileSync(path, c.bytes);
    const { keys } = await salvageAll(path);
    const flagged = [...keys.entries()].find(([k, v]) => k.startsWith('/registry/secrets/') && v.mayBeSuperseded);
    assert.ok(flagged !== undefined, 'the zeroed page leaves a secret flagged');
    const [, , , ns, name] = flagged[0].split('/');
    const r = await runCli(['get', 'secrets', name!, '-n', ns!, '-o', 'json', '--salvage', '--snapshot', path, '-c', SALVAGE_CONFIG]);
    assert.equal(r.code, 3, r.err);
    assert.equal((JSON.parse(r.out) as { metadata: { name: string } }).metadata.name, name);
    assert.match(
      r.err,
      new RegExp(`^warning: ${flagged[0]}: may be superseded: its newest surviving revision ${flagged[1].revision} `, 'm'),
    );
  });
});

const skip = etcdSkipReason();

describe('--salvage over a snapshot a real etcd writes here', { skip, timeout: 300_000 }, () => {
  let built: { snap: Buffer; map: PageMap; cases: SalvageCase[] };
  const config = SALVAGE_CONFIG;

  before(async () => {
    const parsed = parseEncryptionConfig(readFileSync(config), config);
    const first = (type: string): EncryptionConfig => ({
      ...parsed,
      resources: parsed.resources.map((r) => ({
        ...r,
        providers: [...r.providers.filter((p: ProviderConfig) => p.type === type), ...r.providers.filter((p) => p.type !== type)],
      })),
    });
    const providers = ['aesgcm', 'aescbc', 'secretbox', 'identity'];
    const server = await startEtcd();
    try {
      const w = await EtcdWriter.connect(server.endpoint);
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 40; i++) {
          const name = `s-${String(i).padStart(2, '0')}`;
          const key = `/registry/secrets/ns-${i % 3}/${name}`;
          if (round > 0 && (i + round) % 3 === 0) continue;
          const obj = {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: { name, namespace: `ns-${i % 3}`, labels: { round: String(round) } },
            data: { v: Buffer.from('x'.repeat(100 + ((i * 37 + round * 11) % 500))).toString('base64') },
          };
          const plain = encodeObject(obj);
          const p = providers[(i + round) % 4]!;
          await w.put(key, p === 'identity' ? plain : await createTransformer(first(p), 'secrets').toStorage(plain, key));
        }
        if (round === 1) for (const i of [4, 17, 29]) await w.del(`/registry/secrets/ns-${i % 3}/s-${String(i).padStart(2, '0')}`);
      }
      w.close();
      await snapshotSave(server.endpoint, join(dir, 'etcd.db'));
    } finally {
      await server.stop();
    }
    built = await suite(join(dir, 'etcd.db'), config);
  });

  test('the snapshot has a multi-level key bucket with overflow-free leaves to damage', () => {
    assert.ok(built.map.branches.length >= 1);
    assert.ok([...built.map.leaves.values()].filter((l) => l.live).length > 10);
  });

  // Cases are made after `before`: one test runs them all, each as a subtest.
  test('every damage kind', async (t) => {
    for (const c of built.cases) await t.test(c.name, (tt) => checkCase(tt, built.snap, built.map, c, config));
  });
});

describe('--salvage over an undamaged, compacted snapshot with deleted and re-created keys', { skip, timeout: 120_000 }, () => {
  test('no damage reported (no history check fires on what etcd really writes), the same keys as a plain read', async () => {
    const server = await startEtcd();
    const path = join(dir, 'history.db');
    try {
      const w = await EtcdWriter.connect(server.endpoint);
      const put = (k: string, v: string) => w.put(`/registry/configmaps/h/${k}`, new TextEncoder().encode(v));
      for (let round = 0; round < 6; round++) {
        for (const k of ['a', 'b', 'c', 'd']) await put(k, `${k}${round}`);
        // Deleted, then re-created the next round; `c` deleted and gone before the compaction.
        if (round % 2 === 0) await w.del('/registry/configmaps/h/a');
        if (round === 1) await w.del('/registry/configmaps/h/c');
        if (round === 3) await w.compact((await put('b', 'compact here')) - 1);
        if (round >= 1 && round <= 3) continue;
        await put('c', `c again ${round}`);
      }
      w.close();
      await snapshotSave(server.endpoint, path);
    } finally {
      await server.stop();
    }
    const src = await openSalvage(path);
    assert.deepEqual(src.report().damaged, []);
    const plain = await openSnapshot(path);
    const want: string[] = [];
    for await (const item of plain.scan(new Uint8Array(0))) if (item.ok) want.push(`${item.entry.modRevision} ${item.entry.value}`);
    await plain.close();
    const got: string[] = [];
    for await (const item of src.scan(new Uint8Array(0))) {
      assert.ok(item.ok && item.mayBeSuperseded !== true);
      got.push(`${item.entry.modRevision} ${item.entry.value}`);
    }
    await src.close();
    assert.deepEqual(got, want);
    assert.equal(got.length, 4);
  });
});

test('orderedKeys: branch keys a flipped byte moved out of order, or outside the parent bounds, are not trusted', () => {
  const k = (main: number) => {
    const b = new Uint8Array(17);
    new DataView(b.buffer).setBigUint64(0, BigInt(main));
    b[8] = 0x5f;
    return b;
  };
  const keys = [k(2), k(6), k(1099511627803), k(2 ** 53), k(35), null, k(43), k(3), k(50)];
  const mains = (ks: (Uint8Array | null)[]) => ks.map((x) => (x === null ? null : Number(new DataView(x.buffer).getBigUint64(0))));
  assert.deepEqual(mains(orderedKeys(keys, { from: null, to: null })), [2, 6, null, null, 35, null, 43, null, 50]);
  assert.deepEqual(mains(orderedKeys(keys, { from: k(6), to: k(45) })), [null, 6, null, null, 35, null, 43, null, null]);
});
