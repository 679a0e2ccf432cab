/**
 * `rewrite --snapshot IN --out OUT` against the real tools: IN is an `etcdctl snapshot save` file
 * of a real etcd, OUT must pass `etcdctl snapshot restore`, and an etcd started on it must serve
 * exactly the expected keys, values, revisions and leases (read back through protobufjs, not our
 * reader). Plus --compact, --to-config, KMS v2 through a plugin server, and unreadable values.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toBase64, utf8 } from '../src/bytes.ts';
import type { EncryptionConfig } from '../src/config/types.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { closeKmsPlugins } from '../src/kms/connect.ts';
import { runCli } from './support/cli-io.ts';
import { EtcdModel, EtcdWriter, putBoth, deleteBoth, snapshotSave, type RangeKv } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd, type EtcdServer } from './support/etcd-server.ts';
import { fakeKmsV2 } from './support/fake-kms.ts';
import { startPluginServer, v2Handlers, type PluginServer } from './support/kms-plugin.ts';
import { aescbc, aesgcm, configYaml, decryptWith, encryptWith, identity, object, stored, writeConfig } from './support/rewrite-fixture.ts';

const skip = etcdSkipReason();

interface Fixture {
  dir: string;
  inPath: string;
  badPath: string;
  inRevision: number;
  model: EtcdModel;
  /** Selected keys whose value is stale under CONFIG, and every value they ever had. */
  stale: Map<string, Uint8Array[]>;
  fresh: Set<string>;
  plain: Map<string, Uint8Array>;
  leases: Map<string, string>;
  config: { path: string; config: EncryptionConfig };
}

let fx: Fixture;

before(async () => {
  if (skip) return;
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-rewrite-'));
  const old1 = (await writeConfig(dir, 'key1.yaml', configYaml([aescbc('key1')]))).config;
  const old2 = (await writeConfig(dir, 'key2.yaml', configYaml([aescbc('key2')]))).config;
  // CONFIG: key2 is the new first key, key1 the old one (think: key1 leaked), plaintext still readable.
  const config = await writeConfig(dir, 'config.yaml', configYaml([aescbc('key2', 'key1'), identity]));
  const etcd = await startEtcd();
  const w = await EtcdWriter.connect(etcd.endpoint);
  const model = new EtcdModel();
  const stale = new Map<string, Uint8Array[]>();
  const fresh = new Set<string>();
  const plain = new Map<string, Uint8Array>();
  const leases = new Map<string, string>();
  const put = async (resource: 'secrets' | 'configmaps', ns: string, name: string, how: 'key1' | 'key2' | 'plain', lease?: string) => {
    const key = `/registry/${resource}/${ns}/${name}`;
    const p = stored(object(resource, ns, name, `${name}-${model.liveKeys().length}-${Math.random()}`));
    const value = how === 'plain' ? p : await encryptWith(how === 'key1' ? old1 : old2, resource, key, p);
    const rev = await w.put(key, value, lease);
    model.put(utf8(key), value, rev);
    plain.set(key, p);
    if (lease !== undefined) leases.set(key, lease);
    if (how === 'key2') {
      fresh.add(key);
      stale.delete(key);
    } else {
      fresh.delete(key);
      stale.set(key, [...(stale.get(key) ?? []), value]);
    }
  };
  try {
    const lease = await w.grantLease(3600);
    for (let i = 0; i < 12; i++) {
      const how = i < 6 ? 'key1' : i < 9 ? 'key2' : i === 9 ? 'plain' : 'key1';
      await put('secrets', 'default', `s${i}`, how, i >= 10 ? lease : undefined);
    }
    await put('secrets', 'default', 's0', 'key1');
    await put('secrets', 'default', 'gone', 'key1');
    const compactAt = await putBoth(w, model, utf8('/registry/pods/default/p0'), stored(object('configmaps', 'default', 'p0', 'pod')));
    await w.compact(compactAt);
    await put('secrets', 'default', 's0', 'key1');
    await deleteBoth(w, model, utf8('/registry/secrets/default/gone'));
    stale.delete('/registry/secrets/default/gone');
    await put('configmaps', 'kube-system', 'c0', 'key1');
    await put('configmaps', 'default', 'c1', 'key2');
    await putBoth(w, model, utf8('other-app/settings'), utf8('not kubernetes'));
    const inPath = join(dir, 'in.db');
    await snapshotSave(etcd.endpoint, inPath);
    const inRevision = (await w.range('')).revision;
    // A second snapshot with a value no configured key reads.
    const bad = new Uint8Array([...utf8('k8s:enc:aescbc:v1:key9:'), ...new Uint8Array(48).fill(7)]);
    await w.put('/registry/secrets/default/zz-bad', bad);
    const badPath = join(dir, 'bad.db');
    await snapshotSave(etcd.endpoint, badPath);
    w.close();
    fx = { dir, inPath, badPath, inRevision, model, stale, fresh, plain, leases, config };
  } finally {
    await etcd.stop();
  }
});

after(async () => {
  closeKmsPlugins();
  if (fx) await rm(fx.dir, { recursive: true, force: true });
});

const sortKeys = (keys: Iterable<string>): string[] => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const str = (b: Uint8Array | string): string => (typeof b === 'string' ? `error: ${b}` : toBase64(b));

async function withRestored<T>(path: string, f: (w: EtcdWriter, etcd: EtcdServer) => Promise<T>): Promise<T> {
  const etcd = await startEtcd({ restoreFrom: path });
  const w = await EtcdWriter.connect(etcd.endpoint);
  try {
    return await f(w, etcd);
  } finally {
    w.close();
    await etcd.stop();
  }
}

/** What a restored OUT must serve: rewritten keys as new revisions in key order, everything else unchanged. */
async function checkServed(kvs: RangeKv[], revision: number, rewritten: string[], read: EncryptionConfig, prefix: string): Promise<void> {
  const expected = fx.model.at(new Uint8Array(0));
  assert.deepEqual(
    kvs.map((k) => Buffer.from(k.key).toString()),
    expected.map((e) => Buffer.from(e.key).toString()),
  );
  const order = sortKeys(rewritten);
  assert.equal(revision, fx.inRevision + order.length);
  for (const [i, kv] of kvs.entries()) {
    const key = Buffer.from(kv.key).toString();
    const want = expected[i]!;
    const at = order.indexOf(key);
    assert.equal(kv.lease, fx.leases.get(key) ?? '0', `${key}: lease`);
    assert.equal(kv.createRevision, want.createRevision, `${key}: create revision`);
    if (at < 0) {
      assert.deepEqual(kv.value, want.value, `${key}: untouched`);
      assert.equal(kv.modRevision, want.modRevision);
      assert.equal(kv.version, want.version);
      continue;
    }
    assert.equal(kv.modRevision, fx.inRevision + 1 + at, `${key}: new revision in key order`);
    assert.equal(kv.version, want.version + 1, `${key}: version + 1`);
    assert.ok(Buffer.from(kv.value).toString('latin1').startsWith(prefix), `${key}: written with ${prefix}`);
    const resource = key.split('/')[2]!;
    assert.equal(str(await decryptWith(read, resource, key, kv.value)), str(fx.plain.get(key)!), `${key}: same plaintext`);
  }
}

describe('rewrite --snapshot', { skip, timeout: 180_000 }, () => {
  it('writes a snapshot that etcd restores and serves with the stale values rewritten as new revisions', async () => {
    const out = join(fx.dir, 'out.db');
    const r = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', out, '-c', fx.config.path]);
    assert.equal(r.code, 0, r.err);
    const n = fx.stale.size;
    assert.match(r.out, new RegExp(`${n + fx.fresh.size} values: ${n} rewritten, ${fx.fresh.size} already fresh, 0 failed`));
    assert.match(r.out, /^secrets +9 +3 +0$/m);
    assert.match(r.out, /^configmaps +1 +1 +0$/m);
    assert.match(
      r.err,
      new RegExp(
        `^plan: rewrite ${n} of ${n + fx.fresh.size} values \\(0 unreadable, left as they are\\) into .* as revisions ${fx.inRevision + 1}\\.\\.${fx.inRevision + n}\\n`,
        'm',
      ),
    );
    assert.equal((await stat(out)).mode & 0o777, 0o600);
    await withRestored(out, async (w) => {
      const now = await w.range('');
      await checkServed(now.kvs, now.revision, [...fx.stale.keys()], fx.config.config, 'k8s:enc:aescbc:v1:key2:');
      // Without --compact the old revisions stay, as after the apiserver's own rewrite.
      const before = await w.range('/registry/', fx.inRevision);
      for (const kv of before.kvs) {
        const key = Buffer.from(kv.key).toString();
        if (fx.stale.has(key)) assert.deepEqual(kv.value, fx.stale.get(key)!.at(-1));
      }
    });
    const v = await runCli(['verify', '--snapshot', out, '-c', fx.config.path]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /; 0 stale\n/);
    // Running it again finds nothing left to do.
    const again = await runCli(['rewrite', '--snapshot', out, '--out', join(fx.dir, 'again.db'), '-c', fx.config.path]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(` 0 rewritten, ${n + fx.fresh.size} already fresh, 0 failed`));
  });

  it('--compact keeps only the latest revision of each key: no old value is left in the file', async () => {
    const out = join(fx.dir, 'compact.db');
    const r = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', out, '-c', fx.config.path, '--compact']);
    assert.equal(r.code, 0, r.err);
    const last = fx.inRevision + fx.stale.size;
    assert.match(r.err, new RegExp(`compacted at revision ${last}`));
    const bytes = await readFile(out);
    const plainOut = await readFile(join(fx.dir, 'out.db')).catch(() => null);
    for (const [key, values] of fx.stale) {
      for (const v of values) {
        assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${key}: an old value is still in the compacted file`);
      }
      // The same search finds them in the uncompacted file, so it can find them at all.
      if (plainOut !== null) assert.notEqual(plainOut.indexOf(Buffer.from(values.at(-1)!)), -1);
    }
    const source = await openSnapshot(out);
    assert.deepEqual(await source.info(), { revision: last, compactRevision: last });
    await source.close();
    await withRestored(out, async (w) => {
      const now = await w.range('');
      await checkServed(now.kvs, now.revision, [...fx.stale.keys()], fx.config.config, 'k8s:enc:aescbc:v1:key2:');
      await assert.rejects(w.range('', last - 1), /compacted/);
    });
  });

  it('--to-config moves every value to the new key; the old config no longer reads them, and a rerun finds all fresh', async () => {
    const next = await writeConfig(fx.dir, 'new.yaml', configYaml([aesgcm]));
    const out = join(fx.dir, 'moved.db');
    const r = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', out, '-c', fx.config.path, '--to-config', next.path, '--compact']);
    assert.equal(r.code, 0, r.err);
    const all = fx.stale.size + fx.fresh.size;
    assert.match(r.out, new RegExp(`${all} values: ${all} rewritten, 0 already fresh, 0 failed`));
    await withRestored(out, async (w) => {
      const now = await w.range('');
      await checkServed(now.kvs, now.revision, [...fx.stale.keys(), ...fx.fresh], next.config, 'k8s:enc:aesgcm:v1:gcm1:');
      for (const kv of now.kvs) {
        const key = Buffer.from(kv.key).toString();
        if (!fx.plain.has(key) || !key.startsWith('/registry/')) continue;
        assert.equal(
          typeof (await decryptWith(fx.config.config, key.split('/')[2]!, key, kv.value)),
          'string',
          `${key}: old config still reads it`,
        );
      }
    });
    const withNew = await runCli(['verify', '--snapshot', out, '-c', next.path]);
    assert.equal(withNew.code, 0, withNew.err);
    assert.match(withNew.out, /; 0 stale\n/);
    assert.equal((await runCli(['verify', '--snapshot', out, '-c', fx.config.path])).code, 3);
    const again = await runCli([
      'rewrite',
      '--snapshot',
      out,
      '--out',
      join(fx.dir, 'moved2.db'),
      '-c',
      fx.config.path,
      '--to-config',
      next.path,
    ]);
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, new RegExp(` 0 rewritten, ${all} already fresh, 0 failed`));
  });

  it('--force rewrites fresh values too; RESOURCE limits what is touched', async () => {
    const out = join(fx.dir, 'forced.db');
    const r = await runCli(['rewrite', 'cm', '--snapshot', fx.inPath, '--out', out, '-c', fx.config.path, '--force']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^2 values: 2 rewritten, 0 already fresh, 0 failed/m);
    assert.match(r.out, /^configmaps +2 +0 +0$/m);
    assert.doesNotMatch(r.out, /secrets/);
  });

  it('a value that cannot be read is reported with its key, left as it was, and the exit code is 3', async () => {
    const out = join(fx.dir, 'bad-out.db');
    const r = await runCli(['rewrite', 'secrets', '--snapshot', fx.badPath, '--out', out, '-c', fx.config.path, '--compact']);
    assert.equal(r.code, 3, r.err);
    assert.match(
      r.err,
      /^error: \/registry\/secrets\/default\/zz-bad: no configured key decrypts this value \(written with aescbc key9\)$/m,
    );
    assert.match(r.out, /^secrets +9 +3 +1$/m);
    assert.doesNotMatch(r.out, /configmaps/);
    const a = await openSnapshot(fx.badPath);
    const b = await openSnapshot(out);
    const key = utf8('/registry/secrets/default/zz-bad');
    assert.deepEqual((await b.get(key))!.value, (await a.get(key))!.value);
    assert.equal((await b.get(key))!.modRevision, (await a.get(key))!.modRevision);
    const cm = utf8('/registry/configmaps/kube-system/c0');
    assert.deepEqual(await b.get(cm), await a.get(cm), 'configmaps were not selected');
    await a.close();
    await b.close();
  });

  it('refuses to overwrite a file or to write over its input', async () => {
    const r = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', fx.inPath, '-c', fx.config.path]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--out must not be the input snapshot/);
    const existing = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', fx.config.path, '-c', fx.config.path]);
    assert.equal(existing.code, 2);
    assert.match(existing.err, /exists: give a new file name/);
    const mixed = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', join(fx.dir, 'x.db'), '--dry-run', '-c', fx.config.path]);
    assert.equal(mixed.code, 2);
  });

  describe('KMS v2 through a plugin server', () => {
    let plugin: PluginServer;
    before(async () => {
      const fake = fakeKmsV2({
        type: 'kms',
        apiVersion: 'v2',
        name: 'kms1',
        fakeKMS: { algorithm: 'fake-kms-aes256gcm-nonce12', keks: { k1: toBase64(new Uint8Array(32).fill(3)) }, currentKeyID: 'k1' },
      });
      plugin = await startPluginServer(
        fx.dir,
        'v2',
        v2Handlers(() => fake),
      );
    });
    after(() => plugin?.stop());

    it('rewrites every value with the KMS v2 provider now first, and verify then finds them fresh', async () => {
      const kms = `kms: {apiVersion: v2, name: kms1, endpoint: "${plugin.endpoint}", timeout: 5s}`;
      const cfg = await writeConfig(fx.dir, 'kms.yaml', configYaml([kms, aescbc('key2', 'key1'), identity]));
      const out = join(fx.dir, 'kms.db');
      const r = await runCli(['rewrite', '--snapshot', fx.inPath, '--out', out, '-c', cfg.path]);
      assert.equal(r.code, 0, r.err);
      const all = fx.stale.size + fx.fresh.size;
      assert.match(r.out, new RegExp(`${all} values: ${all} rewritten, 0 already fresh`));
      assert.ok((plugin.calls['Encrypt'] ?? 0) >= 1, 'the plugin encrypted');
      const v = await runCli(['verify', '--snapshot', out, '-c', cfg.path]);
      assert.equal(v.code, 0, v.err);
      assert.match(v.out, /; 0 stale\n/);
      assert.match(v.out, new RegExp(`^kms:v2 +kms1 +${all} +0 +0$`, 'm'));
    });
  });
});
