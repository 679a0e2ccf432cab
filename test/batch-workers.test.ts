import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  aesCbcDecryptMany,
  aesCbcEncryptMany,
  aesGcmOpenMany,
  aesGcmSealMany,
  secretboxOpenMany,
  secretboxSealMany,
} from '../src/crypto/batch.ts';
import { nobleBackend } from '../src/crypto/noble.ts';
import { createCryptoPool, type CryptoPool } from '../bench/crypto-pool/pool.ts';
import { pack, unpack } from '../bench/crypto-pool/packed.ts';
import { mapOrdered } from '../src/cli/map-ordered.ts';

const plain = (xs: (Uint8Array | null)[]) => xs.map((x) => (x === null ? null : Uint8Array.from(x)));
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, j) => (seed * 131 + j * 7) & 255);

describe('packed lists', () => {
  it('round-trip any list of byte strings and nulls', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.uint8Array({ maxLength: 64 }), { nil: null })), (items) => {
        assert.deepEqual(plain(unpack(pack(items))), plain(items));
      }),
      { numRuns: 100 },
    );
  });
});

describe('crypto worker pool', () => {
  let pool: CryptoPool;
  before(async () => {
    pool = await createCryptoPool({ size: 2, maxPending: 3 });
  });
  after(async () => {
    await pool.close();
  });

  // The reference is the pure backend on this thread, so the workers' OpenSSL/libsodium paths are
  // checked against an independent implementation.
  it('every operation gives what the pure backend gives on this thread', async () => {
    const key = bytes(32, 1);
    const ps = [0, 1, 16, 2048, 5000].map((n, i) => bytes(n, i));
    const ads = ps.map((_, i) => bytes(i * 3, i + 7));
    const iv16 = ps.map((_, i) => bytes(16, i + 100));
    const iv12 = ps.map((_, i) => bytes(12, i + 200));
    const iv24 = ps.map((_, i) => bytes(24, i + 300));
    const prefix = bytes(5, 9);

    const cbc = aesCbcEncryptMany(nobleBackend, key, iv16, ps, prefix);
    assert.deepEqual(plain(await pool.run({ op: 'aescbc-encrypt', key, ivs: iv16, plaintexts: ps, prefix })), plain(cbc));
    const cbcBodies = cbc.map((c) => c.subarray(prefix.length));
    assert.deepEqual(
      plain(await pool.run({ op: 'aescbc-decrypt', key, bodies: cbcBodies })),
      plain(aesCbcDecryptMany(nobleBackend, key, cbcBodies)),
    );

    const gcm = aesGcmSealMany(nobleBackend, key, iv12, ps, ads);
    assert.deepEqual(plain(await pool.run({ op: 'aesgcm-seal', key, ivs: iv12, plaintexts: ps, ads })), plain(gcm));
    const gcmBodies = [...gcm, Uint8Array.from([...gcm[3]!.subarray(0, 20), 0, ...gcm[3]!.subarray(21)])];
    const gcmAds = [...ads, ads[3]!];
    const opened = await pool.run({ op: 'aesgcm-open', key, bodies: gcmBodies, ads: gcmAds });
    assert.deepEqual(plain(opened), plain(aesGcmOpenMany(nobleBackend, key, gcmBodies, gcmAds)));
    assert.deepEqual(plain(opened), [...plain(ps), null]);

    const box = secretboxSealMany(nobleBackend, key, iv24, ps);
    assert.deepEqual(plain(await pool.run({ op: 'secretbox-seal', key, ivs: iv24, plaintexts: ps })), plain(box));
    assert.deepEqual(plain(await pool.run({ op: 'secretbox-open', key, bodies: box })), plain(secretboxOpenMany(nobleBackend, key, box)));
  });

  it('a failing job rejects with the error and the pool goes on', async () => {
    const key = bytes(32, 2);
    await assert.rejects(pool.run({ op: 'aescbc-decrypt', key, bodies: [new Uint8Array(16)] }), /aescbc body of 16 bytes/);
    await assert.rejects(pool.run({ op: 'aesgcm-open', key, bodies: [new Uint8Array(40)] }), /needs ads/);
    const ok = await pool.run({ op: 'secretbox-open', key, bodies: [new Uint8Array(40)] });
    assert.deepEqual(ok, [null]);
  });

  it('mapOrdered keeps the order of many concurrent batches while the pool stays bounded', async () => {
    const key = bytes(16, 3);
    const batches = Array.from({ length: 24 }, (_, b) => {
      const ps = Array.from({ length: 1 + ((b * 7) % 13) }, (_, i) => bytes((b * 37 + i * 101) % 3000, b * 100 + i));
      const ivs = ps.map((_, i) => bytes(16, b * 1000 + i));
      return aesCbcEncryptMany(nobleBackend, key, ivs, ps).map((c) => c);
    });
    let started = 0;
    let maxAhead = 0;
    let yielded = 0;
    const results: (Uint8Array | null)[][] = [];
    for await (const r of mapOrdered(
      batches,
      (bodies) => {
        started++;
        maxAhead = Math.max(maxAhead, started - yielded);
        return pool.run({ op: 'aescbc-decrypt', key, bodies });
      },
      4,
    )) {
      yielded++;
      results.push(r);
    }
    assert.equal(results.length, batches.length);
    results.forEach((r, b) => assert.deepEqual(plain(r), plain(aesCbcDecryptMany(nobleBackend, key, batches[b]!)), `batch ${b}`));
    assert.ok(maxAhead <= 4, `${maxAhead} batches were started ahead of the consumer`);
  });

  it('mapOrdered reports a failure at its place in the order', async () => {
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const x of mapOrdered([1, 2, 3, 4], async (n) => (n === 3 ? Promise.reject(new Error('three')) : n), 2)) seen.push(x);
    }, /three/);
    assert.deepEqual(seen, [1, 2]);
  });
});
