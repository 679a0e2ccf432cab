import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import {
  aesCbcDecryptMany,
  aesCbcEncryptMany,
  aesGcmOpenMany,
  aesGcmSealMany,
  secretboxOpenMany,
  secretboxSealMany,
} from '../src/crypto/batch.ts';
import { availableBackends } from '../src/crypto/select.ts';
import { loadKeyGroups, unpadLax, type Kind } from './support/vector-bodies.ts';

const IV_LENGTH: Record<Kind, number> = { aescbc: 16, aesgcm: 12, secretbox: 24 };

const cbcDecryptable = (b: Uint8Array) => b.length >= 32 && b.length % 16 === 0;

/** One backend call per body: the plain path the batch must reproduce. */
function openOne(backend: CryptoBackend, kind: Kind, key: Uint8Array, body: Uint8Array, ad: Uint8Array) {
  const n = IV_LENGTH[kind];
  if (kind === 'aescbc') return backend.aesCbcDecrypt(key, body.subarray(0, n), body.subarray(n));
  if (kind === 'aesgcm') return backend.aesGcmOpen(key, body.subarray(0, n), body.subarray(n), ad);
  return backend.secretboxOpen(key, body.subarray(0, n), body.subarray(n));
}

function openMany(backend: CryptoBackend, kind: Kind, key: Uint8Array, bodies: Uint8Array[], ads: Uint8Array[]) {
  if (kind === 'aescbc') return aesCbcDecryptMany(backend, key, bodies);
  if (kind === 'aesgcm') return aesGcmOpenMany(backend, key, bodies, ads);
  return secretboxOpenMany(backend, key, bodies);
}

function sealMany(
  backend: CryptoBackend,
  kind: Kind,
  key: Uint8Array,
  ivs: Uint8Array[],
  plain: Uint8Array[],
  ads: Uint8Array[],
  prefix?: Uint8Array,
) {
  if (kind === 'aescbc') return aesCbcEncryptMany(backend, key, ivs, plain, prefix);
  if (kind === 'aesgcm') return aesGcmSealMany(backend, key, ivs, plain, ads, prefix);
  return secretboxSealMany(backend, key, ivs, plain, prefix);
}

const plainArray = (xs: (Uint8Array | null)[]) => xs.map((x) => (x === null ? null : Uint8Array.from(x)));

const groups = loadKeyGroups(['aescbc', 'aesgcm', 'secretbox']);

describe('batch primitives on the vectors', () => {
  it('finds bodies of every kind', () => {
    for (const kind of ['aescbc', 'aesgcm', 'secretbox'] as const) {
      const n = groups.filter((g) => g.kind === kind).reduce((a, g) => a + g.bodies.length, 0);
      assert.ok(n >= 50, `${kind}: only ${n} vector bodies`);
    }
  });

  for (const backend of availableBackends()) {
    it(`${backend.name}: decrypting all bodies of a key at once equals one call per body`, () => {
      let checked = 0;
      let truths = 0;
      for (const g of groups) {
        const items =
          g.kind === 'aescbc' ? g.bodies.filter((b) => cbcDecryptable(b.body)) : g.bodies.filter((b) => b.body.length >= IV_LENGTH[g.kind]);
        const many = openMany(
          backend,
          g.kind,
          g.key,
          items.map((b) => b.body),
          items.map((b) => b.ad),
        );
        assert.equal(many.length, items.length);
        items.forEach((b, i) => {
          const one = openOne(backend, g.kind, g.key, b.body, b.ad);
          assert.deepEqual(plainArray([many[i]!]), plainArray([one]), `${b.id}: batch differs from single`);
          if (b.plaintext !== undefined) {
            const got = g.kind === 'aescbc' ? unpadLax(many[i]!) : many[i];
            assert.deepEqual(plainArray([got ?? null]), [Uint8Array.from(b.plaintext)], `${b.id}: not the vector's plaintext`);
            truths++;
          }
          checked++;
        });
      }
      assert.ok(checked > 500 && truths > 400, `checked ${checked}, ${truths} against plaintexts`);
    });

    it(`${backend.name}: writing all plaintexts of a key at once with the vectors' IVs reproduces the upstream writes`, () => {
      let checked = 0;
      for (const g of groups) {
        const items = g.bodies.filter((b) => b.plaintext !== undefined);
        if (items.length === 0) continue;
        const n = IV_LENGTH[g.kind];
        const ivs = items.map((b) => b.body.subarray(0, n));
        const written = sealMany(
          backend,
          g.kind,
          g.key,
          ivs,
          items.map((b) => b.plaintext!),
          items.map((b) => b.ad),
          g.prefix,
        );
        items.forEach((b, i) =>
          assert.deepEqual(Uint8Array.from(written[i]!), Uint8Array.from(b.stored), `${b.id}: batch write differs from upstream`),
        );
        checked += items.length;
      }
      assert.ok(checked > 400, `checked ${checked}`);
    });
  }
});

const keyFor = (kind: Kind) =>
  (kind === 'secretbox' ? fc.constant(32) : fc.constantFrom(16, 24, 32)).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
const plaintexts = fc.array(fc.oneof(fc.uint8Array({ maxLength: 80 }), fc.uint8Array({ minLength: 4000, maxLength: 4200 })), {
  maxLength: 12,
});

describe('batch primitives on random inputs', () => {
  for (const backend of availableBackends()) {
    it(`${backend.name}: aescbc raw blocks of random bodies (mostly bad padding) equal single calls`, () => {
      const bodies = fc.array(
        fc.integer({ min: 2, max: 300 }).chain((blocks) => fc.uint8Array({ minLength: blocks * 16, maxLength: blocks * 16 })),
        { maxLength: 10 },
      );
      fc.assert(
        fc.property(keyFor('aescbc'), bodies, (key, bs) => {
          const many = aesCbcDecryptMany(backend, key, bs);
          bs.forEach((b, i) => {
            const one = backend.aesCbcDecrypt(key, b.subarray(0, 16), b.subarray(16));
            assert.deepEqual(Uint8Array.from(many[i]!), Uint8Array.from(one));
            assert.deepEqual(unpadLax(many[i]!) === null, unpadLax(one) === null);
          });
        }),
        { numRuns: 40 },
      );
    });

    for (const kind of ['aescbc', 'aesgcm', 'secretbox'] as const) {
      it(`${backend.name}: ${kind} batch writes equal single writes and read back, tampered values fail alike`, () => {
        const n = IV_LENGTH[kind];
        fc.assert(
          fc.property(
            keyFor(kind),
            plaintexts.chain((ps) =>
              fc.tuple(
                fc.constant(ps),
                fc.array(fc.uint8Array({ minLength: n, maxLength: n }), { minLength: ps.length, maxLength: ps.length }),
                fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: ps.length, maxLength: ps.length }),
                fc.array(fc.nat(), { minLength: ps.length, maxLength: ps.length }),
              ),
            ),
            (key, [ps, ivs, ads, flips]) => {
              const written = sealMany(backend, kind, key, ivs, ps, ads);
              written.forEach((w, i) => {
                const ct =
                  kind === 'aescbc'
                    ? backend.aesCbcEncrypt(key, ivs[i]!, pkcs7(ps[i]!))
                    : kind === 'aesgcm'
                      ? backend.aesGcmSeal(key, ivs[i]!, ps[i]!, ads[i]!)
                      : backend.secretboxSeal(key, ivs[i]!, ps[i]!);
                assert.deepEqual(Uint8Array.from(w), Uint8Array.from([...ivs[i]!, ...ct]));
              });
              // Every other value gets one flipped bit, anywhere: the batch must fail exactly where single calls fail.
              const bodies = written.map((w, i) => {
                if (i % 2 === 0) return w;
                const t = Uint8Array.from(w);
                const bit = flips[i]! % (t.length * 8);
                t[bit >> 3] = t[bit >> 3]! ^ (1 << (bit & 7));
                return t;
              });
              const opened = openMany(backend, kind, key, bodies, ads);
              bodies.forEach((b, i) => {
                assert.deepEqual(plainArray([opened[i]!]), plainArray([openOne(backend, kind, key, b, ads[i]!)]));
                if (i % 2 === 0) {
                  const got = kind === 'aescbc' ? unpadLax(opened[i]!) : opened[i];
                  assert.deepEqual(plainArray([got ?? null]), [Uint8Array.from(ps[i]!)]);
                }
              });
            },
          ),
          { numRuns: 25 },
        );
      });
    }
  }
});

function pkcs7(p: Uint8Array): Uint8Array {
  const pad = 16 - (p.length % 16);
  const out = new Uint8Array(p.length + pad).fill(pad);
  out.set(p);
  return out;
}

describe('batch primitive edge cases', () => {
  const key = new Uint8Array(32).fill(9);
  for (const backend of availableBackends()) {
    it(`${backend.name}: aescbc bodies the transformer must reject first are refused, not decrypted`, () => {
      // 16 bytes is the IV-only body on which the apiserver panics (docs/FORMATS.md#upstream-panics).
      for (const n of [0, 15, 16, 17, 33]) {
        assert.throws(() => aesCbcDecryptMany(backend, key, [new Uint8Array(48), new Uint8Array(n)]), RangeError);
      }
      assert.throws(() => aesGcmOpenMany(backend, key, [new Uint8Array(11)], [new Uint8Array(0)]), RangeError);
      assert.throws(() => secretboxOpenMany(backend, key, [new Uint8Array(23)]), RangeError);
      assert.throws(() => secretboxOpenMany(backend, key.subarray(0, 16), [new Uint8Array(40)]), RangeError);
    });

    it(`${backend.name}: short authenticated bodies open to null, empty batches to nothing`, () => {
      assert.deepEqual(aesGcmOpenMany(backend, key, [new Uint8Array(12), new Uint8Array(27)], [new Uint8Array(0), new Uint8Array(0)]), [
        null,
        null,
      ]);
      assert.deepEqual(secretboxOpenMany(backend, key, [new Uint8Array(24), new Uint8Array(39)]), [null, null]);
      assert.deepEqual(aesCbcDecryptMany(backend, key, []), []);
      assert.deepEqual(aesCbcEncryptMany(backend, key, [], []), []);
    });

    it(`${backend.name}: aescbc across chunk boundaries, with one value larger than a chunk`, () => {
      const sizes = [0, 1, 15, 16, 17, ...Array.from({ length: 300 }, (_, i) => 2000 + i), 1 << 20, 31, 32];
      const ps = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 131 + j * 7) & 255));
      const ivs = sizes.map((_, i) => Uint8Array.from({ length: 16 }, (_, j) => (i + j * 3) & 255));
      const written = aesCbcEncryptMany(backend, key, ivs, ps);
      const raw = aesCbcDecryptMany(backend, key, written);
      written.forEach((w, i) => {
        assert.deepEqual(
          Uint8Array.from(w.subarray(16)),
          Uint8Array.from(backend.aesCbcEncrypt(key, ivs[i]!, pkcs7(ps[i]!))),
          `value ${i}`,
        );
        assert.deepEqual(Uint8Array.from(unpadLax(raw[i]!)!), ps[i], `value ${i}`);
      });
    });

    it(`${backend.name}: secretbox opens across output pieces, one larger than a piece, a bad one among them; results do not overlap`, () => {
      const sizes = [0, 1, ...Array.from({ length: 300 }, (_, i) => 2000 + i), 1 << 20, 31, 32];
      const ps = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (i * 131 + j * 7) & 255));
      const nonces = sizes.map((_, i) => Uint8Array.from({ length: 24 }, (_, j) => (i + j * 3) & 255));
      const bodies = secretboxSealMany(backend, key, nonces, ps, new Uint8Array(0)).map((b) => Uint8Array.from(b));
      bodies[150]![30]! ^= 1;
      const opened = secretboxOpenMany(backend, key, bodies);
      opened.forEach((p, i) => assert.deepEqual(p === null ? null : Uint8Array.from(p), i === 150 ? null : ps[i], `value ${i}`));
      opened.forEach((p, i) => p?.fill(i % 251));
      opened.forEach((p, i) => assert.ok(p === null || p.every((b) => b === i % 251), `value ${i} is its own bytes`));
      assert.equal(
        opened.filter((p) => p !== null).reduce((n, p) => n + p!.length, 0),
        sizes.reduce((n, x, i) => n + (i === 150 ? 0 : x), 0),
      );
    });
  }
});
