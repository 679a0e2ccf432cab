/**
 * `rewrite --endpoints` against a real etcd: guarded puts keep leases and never overwrite a
 * concurrent writer, --dry-run writes nothing, and a run killed half-way is finished by a second
 * run. Everything is checked by reading etcd back through protobufjs (test/support/etcd-data.ts).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { toBase64, utf8 } from '../src/bytes.ts';
import type { EncryptionConfig } from '../src/config/types.ts';
import { openEndpoints, type LiveSource } from '../src/etcd/live.ts';
import { rewriteSetup } from '../src/cli/rewrite/decide.ts';
import { rewriteLive } from '../src/cli/rewrite/live.ts';
import { RewriteTally } from '../src/cli/rewrite/summary.ts';
import { runCli } from './support/cli-io.ts';
import { EtcdWriter } from './support/etcd-data.ts';
import { etcdSkipReason, startEtcd, type EtcdServer } from './support/etcd-server.ts';
import { aescbc, aesgcm, configYaml, decryptWith, encryptWith, identity, object, stored, writeConfig } from './support/rewrite-fixture.ts';

const skip = etcdSkipReason();
const CLI = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

let dir: string;
let old1: EncryptionConfig;
let config: { path: string; config: EncryptionConfig };

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'k8s-enc-rewrite-live-'));
  old1 = (await writeConfig(dir, 'key1.yaml', configYaml([aescbc('key1')]))).config;
  config = await writeConfig(dir, 'config.yaml', configYaml([aescbc('key2', 'key1'), identity]));
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** An etcd with `n` Secrets written under key1 (stale under CONFIG); returns their plaintexts. */
async function filled(
  n: number,
  opts: { lease?: boolean } = {},
): Promise<{ etcd: EtcdServer; w: EtcdWriter; plain: Map<string, Uint8Array>; lease?: string }> {
  const etcd = await startEtcd();
  const w = await EtcdWriter.connect(etcd.endpoint);
  const plain = new Map<string, Uint8Array>();
  const lease = opts.lease === true ? await w.grantLease(3600) : undefined;
  for (let i = 0; i < n; i++) {
    const key = `/registry/secrets/ns${i % 3}/s${String(i).padStart(5, '0')}`;
    const p = stored(object('secrets', `ns${i % 3}`, `s${i}`, `payload-${i}`));
    plain.set(key, p);
    await w.put(key, await encryptWith(old1, 'secrets', key, p), i % 2 === 0 ? lease : undefined);
  }
  return { etcd, w, plain, ...(lease !== undefined && { lease }) };
}

/** Every Secret's plaintext under CONFIG, and which key wrote it (the value's prefix). */
async function state(
  w: EtcdWriter,
  read: EncryptionConfig = config.config,
): Promise<Map<string, { plain: string; prefix: string; lease: string; version: number }>> {
  const out = new Map<string, { plain: string; prefix: string; lease: string; version: number }>();
  for (const kv of (await w.range('/registry/secrets/')).kvs) {
    const key = Buffer.from(kv.key).toString();
    const p = await decryptWith(read, 'secrets', key, kv.value);
    const prefix = Buffer.from(kv.value.subarray(0, 23)).toString('latin1');
    out.set(key, { plain: typeof p === 'string' ? `error: ${p}` : toBase64(p), prefix, lease: kv.lease, version: kv.version });
  }
  return out;
}

const KEY2 = 'k8s:enc:aescbc:v1:key2:';

/** The plan of a plain rewrite: every resource, the same configuration to read and write, fresh values left alone. */
/**
 * rewriteLive over everything under /registry with the test config (no --to-config), `beforeCommit`
 * playing the other writer; any failure reported fails the test. Its tally.
 */
async function rewriteRacing(
  source: LiveSource,
  batch: number,
  beforeCommit: (keys: Uint8Array[]) => Promise<void>,
): Promise<RewriteTally> {
  const tally = new RewriteTally();
  await rewriteLive({
    source,
    prefix: utf8('/registry/'),
    setup: rewriteSetup({ config: config.config, newConfig: null, etcdPrefix: '/registry', resources: [], force: false, options: {} }),
    tally,
    progress: { tick() {}, async note() {}, async done() {} },
    dryRun: false,
    batch,
    report: async (key, error) => assert.fail(`${key}: ${error}`),
    wouldRewrite: async () => {},
    beforeCommit,
  });
  return tally;
}

describe('rewrite --endpoints', { skip, timeout: 180_000 }, () => {
  it('rewrites stale values in guarded transactions, keeps leases, and --dry-run writes nothing', async () => {
    const { etcd, w, plain, lease } = await filled(150, { lease: true });
    try {
      const rev0 = (await w.range('')).revision;
      const dry = await runCli(['rewrite', '--endpoints', etcd.endpoint, '-c', config.path, '--dry-run']);
      assert.equal(dry.code, 0, dry.err);
      assert.equal(dry.out.match(/^would rewrite \/registry\/secrets\/\S+: aescbc key1 -> aescbc key2$/gm)?.length, 150);
      assert.match(dry.out, /150 values: 150 to rewrite, 0 already fresh, 0 failed/);
      assert.equal((await w.range('')).revision, rev0, 'a dry run writes nothing');

      const r = await runCli(['rewrite', 'secrets', '--endpoints', etcd.endpoint, '-c', config.path, '--batch', '40']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /150 values: 150 rewritten, 0 already fresh, 0 failed/);
      // 150 keys in batches of 40 are 4 transactions, each one revision.
      assert.equal((await w.range('')).revision, rev0 + 4);
      const after = await state(w);
      for (const [key, p] of plain) {
        const s = after.get(key)!;
        assert.equal(s.plain, toBase64(p), key);
        assert.equal(s.prefix, KEY2, key);
        assert.equal(s.version, 2, key);
        const i = Number(key.slice(-5));
        assert.equal(s.lease, i % 2 === 0 ? lease : '0', `${key}: lease kept`);
      }
      const v = await runCli(['verify', '--endpoints', etcd.endpoint, '-c', config.path]);
      assert.equal(v.code, 0, v.err);
      assert.match(v.out, /; 0 stale\n/);
    } finally {
      w.close();
      await etcd.stop();
    }
  });

  it('a writer that changes keys between our read and our transaction wins; its keys are re-read and rewritten from its data', async () => {
    const { etcd, w, plain } = await filled(30);
    const source = await openEndpoints({ endpoints: [etcd.endpoint] });
    try {
      const theirs = new Map<string, Uint8Array>();
      let raced = 0;
      // The concurrent writer: before the first two transactions, it rewrites two of their keys
      // itself (one under the old key, one in plaintext), so the guarded puts must lose.
      const tally = await rewriteRacing(source, 10, async (keys) => {
        if (raced++ >= 2) return;
        for (const [j, k] of keys.slice(0, 2).entries()) {
          const key = Buffer.from(k).toString();
          const p = stored(object('secrets', 'x', `theirs-${raced}-${j}`, `written by the other writer ${raced}/${j}`));
          theirs.set(key, p);
          await w.put(key, j === 0 ? await encryptWith(old1, 'secrets', key, p) : p);
        }
      });
      assert.equal(tally.retried, 4);
      assert.deepEqual(tally.total, { rewritten: 30, fresh: 0, failed: 0 });
      const after = await state(w);
      for (const [key, p] of plain) {
        const s = after.get(key)!;
        assert.equal(
          s.plain,
          toBase64(theirs.get(key) ?? p),
          `${key}: ${theirs.has(key) ? "the other writer's data survives" : 'unchanged data'}`,
        );
        assert.equal(s.prefix, KEY2, key);
      }
    } finally {
      await source.close();
      w.close();
      await etcd.stop();
    }
  });

  it('keys whose lease ends between our read and our transaction are gone, not rewritten back', async () => {
    const { etcd, w, plain, lease } = await filled(30, { lease: true });
    const source = await openEndpoints({ endpoints: [etcd.endpoint] });
    try {
      let revoked = false;
      const tally = await rewriteRacing(source, 8, async () => {
        if (!revoked) await w.revokeLease(lease!);
        revoked = true;
      });
      // Every even-numbered Secret had the lease: etcd deleted them, and they must stay deleted.
      assert.equal(tally.gone, 15);
      assert.deepEqual(tally.total, { rewritten: 15, fresh: 0, failed: 0 });
      const after = await state(w);
      assert.deepEqual([...after.keys()].sort(), [...plain.keys()].filter((k) => Number(k.slice(-5)) % 2 === 1).sort());
      for (const s of after.values()) assert.equal(s.prefix, KEY2);
    } finally {
      await source.close();
      w.close();
      await etcd.stop();
    }
  });

  it('a writer running during the whole rewrite keeps every one of its writes', async () => {
    const { etcd, w, plain } = await filled(300);
    try {
      const keys = [...plain.keys()];
      const last = new Map<string, Uint8Array>();
      let stop = false;
      const writer = (async () => {
        for (let i = 0; !stop; i++) {
          const key = keys[(i * 37) % keys.length]!;
          const p = stored(object('secrets', 'x', `w${i}`, `concurrent ${i}`));
          await w.put(key, i % 2 === 0 ? await encryptWith(old1, 'secrets', key, p) : p);
          last.set(key, p);
        }
      })();
      const r = await runCli(['rewrite', '--endpoints', etcd.endpoint, '-c', config.path, '--batch', '5']);
      stop = true;
      await writer;
      assert.equal(r.code, 0, r.err);
      assert.ok(last.size > 0, 'the writer wrote during the rewrite');
      const after = await state(w);
      for (const [key, p] of plain) {
        assert.equal(after.get(key)!.plain, toBase64(last.get(key) ?? p), key);
      }
    } finally {
      w.close();
      await etcd.stop();
    }
  });

  it('a run killed half-way is finished by running it again', async () => {
    const { etcd, w, plain } = await filled(600);
    try {
      const rev0 = (await w.range('')).revision;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CLI, 'rewrite', '--endpoints', etcd.endpoint, '-c', config.path, '--batch', '1'],
        {
          stdio: 'ignore',
        },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Kill it (no chance to clean up) once some dozens of keys are rewritten.
      for (;;) {
        const rev = (await w.range('', 0)).revision;
        if (rev >= rev0 + 30) break;
        if (child.exitCode !== null) assert.fail('the first run ended before it could be interrupted');
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill('SIGKILL');
      await exited;
      const half = await state(w);
      const done = [...half.values()].filter((s) => s.prefix === KEY2).length;
      assert.ok(done >= 30 && done < plain.size, `interrupted after ${done} of ${plain.size}`);
      const r = await runCli(['rewrite', '--endpoints', etcd.endpoint, '-c', config.path]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`${plain.size} values: ${plain.size - done} rewritten, ${done} already fresh, 0 failed`));
      const after = await state(w);
      for (const [key, p] of plain) {
        assert.equal(after.get(key)!.plain, toBase64(p), key);
        assert.equal(after.get(key)!.prefix, KEY2, key);
      }
    } finally {
      w.close();
      await etcd.stop();
    }
  });

  it('--to-config moves live values to a new aesgcm key; the old config then fails on them', async () => {
    const { etcd, w, plain } = await filled(20);
    try {
      const next = await writeConfig(dir, 'new-live.yaml', configYaml([aesgcm]));
      const r = await runCli(['rewrite', '--endpoints', etcd.endpoint, '-c', config.path, '--to-config', next.path]);
      assert.equal(r.code, 0, r.err);
      const withNew = await state(w, next.config);
      const withOld = await state(w);
      for (const [key, p] of plain) {
        assert.equal(withNew.get(key)!.plain, toBase64(p), key);
        assert.match(withOld.get(key)!.plain, /^error: /, `${key}: the old config must not read it`);
      }
      assert.equal((await runCli(['verify', '--endpoints', etcd.endpoint, '-c', config.path])).code, 3);
    } finally {
      w.close();
      await etcd.stop();
    }
  });
});
