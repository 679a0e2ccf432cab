import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.ts';
import {
  nativeAesCbcDecryptMany,
  nativeAesCbcEncryptMany,
  nativeAesGcmOpenMany,
  nativeAesGcmSealMany,
  nativeAvailable,
} from '../src/crypto/native.ts';
import { getBackend } from '../src/crypto/select.ts';
import { RandomAccessFile } from '../src/etcd/bbolt/file.ts';
import { loadAddon } from '../src/native-addon.ts';
import { loadKeyGroups, unpadLax } from './support/vector-bodies.ts';

const node = getBackend('node');
const noble = getBackend('noble');
const built = nativeAvailable();
const mustBuild = process.env.CI === 'true' && process.env.K8S_ENC_NATIVE !== '0';

if (!built) {
  console.warn(
    '\n!!! native addon NOT built: test/native.test.ts is skipped and batch AES runs on node:crypto. ' +
      'Build it with `npm run build:native` (needs python3, make, a C compiler). !!!\n',
  );
}

describe('native addon build', () => {
  it('is built whenever CI=true', { skip: !mustBuild && 'not in CI' }, () => {
    assert.ok(built, "CI must build native/ (npm test's pretest runs scripts/build-native.js); see its output above the tests");
  });
});

const copy = (x: Uint8Array | null | undefined) => (x == null ? null : Uint8Array.from(x));

function cbcPad(p: Uint8Array): Uint8Array {
  const n = 16 - (p.length % 16);
  const out = new Uint8Array(p.length + n).fill(n);
  out.set(p);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('native addon', { skip: !built && 'native addon not built (see the warning above)' }, () => {
  const groups = loadKeyGroups(['aescbc', 'aesgcm']);

  it('finds vector bodies of both kinds', () => {
    for (const kind of ['aescbc', 'aesgcm'] as const) {
      const n = groups.filter((g) => g.kind === kind).reduce((a, g) => a + g.bodies.length, 0);
      assert.ok(n >= 50, `${kind}: only ${n} vector bodies`);
    }
  });

  it('aesgcm: opens every vector body as node and noble do, and reproduces every upstream write', () => {
    let truths = 0;
    for (const g of groups.filter((x) => x.kind === 'aesgcm')) {
      const items = g.bodies.filter((b) => b.body.length >= 12);
      const many = nativeAesGcmOpenMany(
        g.key,
        items.map((b) => b.body),
        items.map((b) => b.ad),
      )!;
      items.forEach((b, i) => {
        const [nonce, rest] = [b.body.subarray(0, 12), b.body.subarray(12)];
        assert.deepEqual(copy(many[i]), copy(node.aesGcmOpen(g.key, nonce, rest, b.ad)), `${b.id}: differs from node`);
        assert.deepEqual(copy(many[i]), copy(noble.aesGcmOpen(g.key, nonce, rest, b.ad)), `${b.id}: differs from noble`);
        if (b.plaintext === undefined) return;
        assert.deepEqual(copy(many[i]), copy(b.plaintext), `${b.id}: not the vector's plaintext`);
        const [sealed] = nativeAesGcmSealMany(g.key, [nonce], [b.plaintext], [b.ad], g.prefix)!;
        assert.deepEqual(copy(sealed), copy(b.stored), `${b.id}: sealing does not give upstream's stored bytes`);
        truths++;
      });
    }
    assert.ok(truths >= 10, `only ${truths} upstream aesgcm writes checked`);
  });

  it('aescbc: decrypts every whole-block vector body as node and noble do, and reproduces every upstream write', () => {
    let truths = 0;
    for (const g of groups.filter((x) => x.kind === 'aescbc')) {
      const items = g.bodies.filter((b) => b.body.length >= 32 && b.body.length % 16 === 0);
      const many = nativeAesCbcDecryptMany(
        g.key,
        items.map((b) => b.body),
      )!;
      items.forEach((b, i) => {
        const [iv, ct] = [b.body.subarray(0, 16), b.body.subarray(16)];
        assert.deepEqual(copy(many[i]), copy(node.aesCbcDecrypt(g.key, iv, ct)), `${b.id}: differs from node`);
        assert.deepEqual(copy(many[i]), copy(noble.aesCbcDecrypt(g.key, iv, ct)), `${b.id}: differs from noble`);
        if (b.plaintext === undefined) return;
        assert.deepEqual(copy(unpadLax(many[i]!)), copy(b.plaintext), `${b.id}: not the vector's plaintext`);
        const [sealed] = nativeAesCbcEncryptMany(g.key, [iv], [b.plaintext], g.prefix)!;
        assert.deepEqual(copy(sealed), copy(b.stored), `${b.id}: encrypting does not give upstream's stored bytes`);
        truths++;
      });
    }
    assert.ok(truths >= 10, `only ${truths} upstream aescbc writes checked`);
  });

  it('aesgcm: reports authentication per value, short and empty bodies included', () => {
    const key = new Uint8Array(32).fill(7);
    const nonce = new Uint8Array(12).fill(1);
    const ad = utf8('/registry/secrets/default/a');
    const [good] = nativeAesGcmSealMany(key, [nonce], [utf8('hello')], [ad], new Uint8Array(0))!;
    const [empty] = nativeAesGcmSealMany(key, [nonce], [new Uint8Array(0)], [ad], new Uint8Array(0))!;
    const badTag = Uint8Array.from(good!);
    badTag[badTag.length - 1]! ^= 1;
    const badCt = Uint8Array.from(good!);
    badCt[12]! ^= 0x80;
    const bodies = [good!, badTag, good!, empty!, good!.subarray(0, 27), good!.subarray(0, 12), badCt, good!];
    const ads = [ad, ad, utf8('/registry/secrets/default/b'), ad, ad, ad, ad, ad];
    const got = nativeAesGcmOpenMany(key, bodies, ads)!;
    assert.deepEqual(got.map(copy), [utf8('hello'), null, null, new Uint8Array(0), null, null, null, utf8('hello')]);
    assert.equal(empty!.length, 12 + 16);
  });

  it('batches of several output pieces (256 KiB each) match one node:crypto call per value', () => {
    const rand = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 0xff);
    for (const keyLen of [16, 24, 32]) {
      const key = rand(keyLen, keyLen);
      // 300 KiB alone overflows a piece; 3000-byte values make pieces of ~87 values.
      const plains = Array.from({ length: 300 }, (_, i) => rand(i === 150 ? 300 * 1024 : 2990 + (i % 17), i));
      const ads = plains.map((_, i) => utf8(`/registry/secrets/ns/s${i}`));
      const nonces = plains.map((_, i) => rand(12, i + 1000));
      const ivs = plains.map((_, i) => rand(16, i + 2000));
      const prefix = utf8('k8s:enc:aesgcm:v1:k:');
      const sealed = nativeAesGcmSealMany(key, nonces, plains, ads, prefix)!;
      sealed.forEach((s, i) =>
        assert.deepEqual(copy(s), concat(prefix, nonces[i]!, node.aesGcmSeal(key, nonces[i]!, plains[i]!, ads[i]!)), `gcm seal ${i}`),
      );
      const bodies = sealed.map((s, i) => {
        const b = Uint8Array.from(s.subarray(prefix.length));
        if (i % 41 === 7) b[b.length - 1]! ^= 1;
        return b;
      });
      const opened = nativeAesGcmOpenMany(key, bodies, ads)!;
      opened.forEach((o, i) => assert.deepEqual(copy(o), i % 41 === 7 ? null : plains[i], `gcm open ${i}`));
      const cbc = nativeAesCbcEncryptMany(key, ivs, plains, prefix)!;
      cbc.forEach((s, i) =>
        assert.deepEqual(copy(s), concat(prefix, ivs[i]!, node.aesCbcEncrypt(key, ivs[i]!, cbcPad(plains[i]!))), `cbc encrypt ${i}`),
      );
      const raw = nativeAesCbcDecryptMany(
        key,
        cbc.map((s) => s.subarray(prefix.length)),
      )!;
      raw.forEach((r, i) => assert.deepEqual(copy(unpadLax(r)), plains[i], `cbc decrypt ${i}`));
    }
  });

  it('empty batches give empty results', () => {
    const key = new Uint8Array(16);
    assert.deepEqual(nativeAesGcmOpenMany(key, [], []), []);
    assert.deepEqual(nativeAesGcmSealMany(key, [], [], [], new Uint8Array(0)), []);
    assert.deepEqual(nativeAesCbcDecryptMany(key, []), []);
    assert.deepEqual(nativeAesCbcEncryptMany(key, [], [], new Uint8Array(0)), []);
  });

  it('maps files: the bytes of the file, the same after its pages are dropped; bad offsets throw', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-map-'));
    const path = join(dir, 'f');
    const bytes = Uint8Array.from({ length: 3 * 4096 + 100 }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    try {
      const addon = loadAddon()!;
      const whole = new Uint8Array(addon.mapFile(fd, 0, bytes.length));
      assert.deepEqual(whole, bytes);
      addon.dropPages(whole.buffer as ArrayBuffer, new Float64Array([0, 8192, 4096, 4096, 100, 4096, 0, 1 << 30]));
      assert.deepEqual(whole, bytes, 'read again from the page cache after dropPages');
      assert.deepEqual(new Uint8Array(addon.mapFile(fd, 4096, 4096)), bytes.subarray(4096, 8192));
      // The same part of the same file again (another thread's open, say) shares the mapping.
      const fd2 = openSync(path, 'r');
      const again = new Uint8Array(addon.mapFile(fd2, 0, bytes.length));
      closeSync(fd2);
      addon.dropPages(again.buffer as ArrayBuffer, new Float64Array([0, bytes.length]));
      assert.deepEqual(again, bytes);
      assert.deepEqual(whole, bytes);
      assert.throws(() => addon.mapFile(fd, 100, 10), /bad offset/);
      assert.throws(() => addon.mapFile(fd, 0, 0), /bad offset/);
      // Through the snapshot reader's file: views are lasting slices of the mapping.
      const file = RandomAccessFile.open(path);
      const view = file.view(4000, 200);
      assert.ok(view !== null, 'mapped when the addon is there');
      assert.deepEqual(view, bytes.subarray(4000, 4200));
      assert.deepEqual(file.read(5000, 10), bytes.subarray(5000, 5010));
      file.close();
      assert.deepEqual(view, bytes.subarray(4000, 4200), 'a view outlives close()');
      process.env.K8S_ENC_MMAP = '0';
      const read = RandomAccessFile.open(path);
      assert.equal(read.view(0, 10), null, 'K8S_ENC_MMAP=0 reads instead');
      read.close();
    } finally {
      delete process.env.K8S_ENC_MMAP;
      closeSync(fd);
      rmSync(dir, { recursive: true });
    }
  });

  it('leaves invalid key sizes to the node:crypto path (null here)', () => {
    assert.equal(nativeAesGcmOpenMany(new Uint8Array(20), [], []), null);
    assert.equal(nativeAesCbcDecryptMany(new Uint8Array(33), []), null);
  });

  const keyArb = fc.constantFrom(16, 24, 32).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
  const valueArb = fc.record({
    plain: fc.uint8Array({ maxLength: 300 }),
    ad: fc.uint8Array({ maxLength: 60 }),
    nonce: fc.uint8Array({ minLength: 12, maxLength: 12 }),
    iv: fc.uint8Array({ minLength: 16, maxLength: 16 }),
  });
  const batchArb = fc.tuple(keyArb, fc.array(valueArb, { maxLength: 12 }), fc.uint8Array({ maxLength: 30 }));

  it('aesgcm seal/open: byte-identical to noble for 16/24/32-byte keys (fast-check)', () => {
    fc.assert(
      fc.property(batchArb, ([key, vs, prefix]) => {
        const sealed = nativeAesGcmSealMany(
          key,
          vs.map((v) => v.nonce),
          vs.map((v) => v.plain),
          vs.map((v) => v.ad),
          prefix,
        )!;
        vs.forEach((v, i) => assert.deepEqual(copy(sealed[i]), concat(prefix, v.nonce, noble.aesGcmSeal(key, v.nonce, v.plain, v.ad))));
        const opened = nativeAesGcmOpenMany(
          key,
          sealed.map((s) => s.subarray(prefix.length)),
          vs.map((v) => v.ad),
        )!;
        assert.deepEqual(
          opened.map(copy),
          vs.map((v) => copy(v.plain)),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('aescbc encrypt/decrypt: byte-identical to noble for 16/24/32-byte keys (fast-check)', () => {
    fc.assert(
      fc.property(batchArb, ([key, vs, prefix]) => {
        const sealed = nativeAesCbcEncryptMany(
          key,
          vs.map((v) => v.iv),
          vs.map((v) => v.plain),
          prefix,
        )!;
        vs.forEach((v, i) => assert.deepEqual(copy(sealed[i]), concat(prefix, v.iv, noble.aesCbcEncrypt(key, v.iv, cbcPad(v.plain)))));
        const raw = nativeAesCbcDecryptMany(
          key,
          sealed.map((s) => s.subarray(prefix.length)),
        )!;
        assert.deepEqual(
          raw.map((r) => copy(unpadLax(r))),
          vs.map((v) => copy(v.plain)),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('aesgcm open of random bodies: the same value or null as node:crypto, never a throw (fast-check)', () => {
    const bodies = fc.array(fc.record({ body: fc.uint8Array({ minLength: 12, maxLength: 80 }), ad: fc.uint8Array({ maxLength: 20 }) }), {
      maxLength: 10,
    });
    fc.assert(
      fc.property(keyArb, bodies, (key, bs) => {
        const got = nativeAesGcmOpenMany(
          key,
          bs.map((b) => b.body),
          bs.map((b) => b.ad),
        )!;
        bs.forEach((b, i) => assert.deepEqual(copy(got[i]), copy(node.aesGcmOpen(key, b.body.subarray(0, 12), b.body.subarray(12), b.ad))));
      }),
      { numRuns: 150 },
    );
  });

  it('rejects a wrong-sized nonce or IV with an error, not a bad write', () => {
    const key = new Uint8Array(16);
    assert.throws(
      () => nativeAesGcmSealMany(key, [new Uint8Array(11)], [new Uint8Array(1)], [new Uint8Array(0)], new Uint8Array(0)),
      /nonce must be 12 bytes/,
    );
    assert.throws(() => nativeAesCbcEncryptMany(key, [new Uint8Array(15)], [new Uint8Array(1)], new Uint8Array(0)), /IV must be 16 bytes/);
  });

  it('loads and runs inside a worker thread (the crypto pool uses it there)', async () => {
    const tsx = import.meta.resolve('tsx/esm/api');
    const mod = new URL('../src/crypto/native.ts', import.meta.url).href;
    const boot = `
      const { parentPort } = await import('node:worker_threads');
      (await import(${JSON.stringify(tsx)})).register();
      const n = await import(${JSON.stringify(mod)});
      const key = new Uint8Array(32).fill(3), nonce = new Uint8Array(12), ad = new Uint8Array([1]);
      const [s] = n.nativeAesGcmSealMany(key, [nonce], [new Uint8Array([42])], [ad], new Uint8Array(0));
      parentPort.postMessage({ available: n.nativeAvailable(), opened: Array.from(n.nativeAesGcmOpenMany(key, [s], [ad])[0]) });`;
    const w = new Worker(`(async () => {${boot}})()`, { eval: true });
    try {
      const msg = await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      assert.deepEqual(msg, { available: true, opened: [42] });
    } finally {
      await w.terminate();
    }
  });

  it('K8S_ENC_NATIVE=0 turns it off', () => {
    const mod = new URL('../src/crypto/native.ts', import.meta.url).href;
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', `const n = await import(${JSON.stringify(mod)}); console.log(n.nativeAvailable());`],
      { env: { ...process.env, K8S_ENC_NATIVE: '0' }, encoding: 'utf8' },
    );
    assert.equal(out.trim(), 'false');
  });
});
