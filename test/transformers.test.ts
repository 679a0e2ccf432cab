// Specific behaviours of the core transformers and the prefix chain (docs/FORMATS.md#prefix-chains, #providers), plus properties.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { K8sEncError } from '../src/errors.ts';
import { concatBytes, fromHex, utf8 } from '../src/bytes.ts';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { availableBackends, getBackend } from '../src/crypto/select.ts';
import type { KeyConfig, ProviderConfig } from '../src/config/types.ts';
import { buildProviderChain } from '../src/config/provider-chain.ts';
import { identityTransformer } from '../src/transformers/identity.ts';
import { gcmOpen, gcmSealWithNonce } from '../src/transformers/gcm.ts';
import { aggregateErrors } from '../src/transformers/prefix.ts';
import type { RandomSource, Transformer } from '../src/transformers/types.ts';

const AD = '/registry/secrets/default/s1';
const KEY16 = utf8('0123456789abcdef');
const KEY32 = utf8('0123456789abcdef0123456789abcdef');

const aescbc = (...keys: KeyConfig[]): ProviderConfig => ({ type: 'aescbc', keys });
const aesgcm = (...keys: KeyConfig[]): ProviderConfig => ({ type: 'aesgcm', keys });
const secretbox = (...keys: KeyConfig[]): ProviderConfig => ({ type: 'secretbox', keys });
const identity: ProviderConfig = { type: 'identity' };

/** Resolves to the error a read or write fails with, failing the test if it succeeds. */
async function failure(p: Promise<unknown>): Promise<K8sEncError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof K8sEncError, `expected a K8sEncError, got ${String(e)}`);
    return e;
  }
  return assert.fail('expected a failure');
}

/** An aescbc value whose raw decryption (before unpadding) is exactly `decrypted`. */
function craftedCbcValue(backend: CryptoBackend, keyName: string, decrypted: Uint8Array): Uint8Array {
  const iv = new Uint8Array(16).fill(7);
  return concatBytes(utf8(`k8s:enc:aescbc:v1:${keyName}:`), iv, backend.aesCbcEncrypt(KEY16, iv, decrypted));
}

for (const backend of availableBackends()) {
  const build = (providers: ProviderConfig[], random?: RandomSource): Transformer =>
    buildProviderChain(providers, random === undefined ? { backend: backend.name } : { backend: backend.name, random });

  describe(`aescbc lax PKCS#7 (docs/FORMATS.md#aescbc) × ${backend.name}`, () => {
    const chain = build([aescbc({ name: 'k', secret: KEY16 })]);
    const read = (decrypted: Uint8Array) => chain.fromStorage(craftedCbcValue(backend, 'k', decrypted), AD);

    it('32 bytes of 0x20 decrypt to an empty plaintext', async () => {
      const r = await read(new Uint8Array(32).fill(0x20));
      assert.equal(r.data.length, 0);
      assert.equal(r.stale, false);
    });

    it('a 17-byte pad of 0x11 is accepted', async () => {
      const decrypted = concatBytes(utf8('fifteen bytes!!'), new Uint8Array(17).fill(0x11));
      const r = await read(decrypted);
      assert.deepEqual(r.data, utf8('fifteen bytes!!'));
    });

    it('pad byte 0 or beyond the decrypted length is "invalid PKCS7 data"', async () => {
      for (const last of [0, 33, 255]) {
        const decrypted = new Uint8Array(32);
        decrypted[31] = last;
        const e = await failure(read(decrypted));
        assert.equal(e.message, 'invalid PKCS7 data (empty or not padded)');
        assert.equal(e.code, 'ERR_PADDING');
        assert.equal(e.provider, 'aescbc');
      }
    });

    it('a pad whose bytes differ is "invalid padding on input"', async () => {
      const decrypted = new Uint8Array(32).fill(0x04);
      decrypted[29] = 0x05;
      const e = await failure(read(decrypted));
      assert.equal(e.message, 'invalid padding on input');
    });

    it('short and misaligned bodies fail in upstream order', async () => {
      const prefix = utf8('k8s:enc:aescbc:v1:k:');
      const short = await failure(chain.fromStorage(concatBytes(prefix, new Uint8Array(15)), AD));
      assert.equal(short.message, 'the stored data was shorter than the required size');
      const misaligned = await failure(chain.fromStorage(concatBytes(prefix, new Uint8Array(33)), AD));
      assert.equal(misaligned.message, 'the stored data is not a multiple of the block size');
    });
  });

  describe(`upstream panics become errors (docs/FORMATS.md#upstream-panics) × ${backend.name}`, () => {
    const ivOnly = concatBytes(utf8('k8s:enc:aescbc:v1:k:'), new Uint8Array(16));

    it('an aescbc body of exactly 16 bytes is ERR_UPSTREAM_PANIC naming the upstream panic', async () => {
      const e = await failure(build([aescbc({ name: 'k', secret: KEY16 })]).fromStorage(ivOnly, AD));
      assert.equal(e.code, 'ERR_UPSTREAM_PANIC');
      assert.equal(e.upstreamPanic, 'runtime error: index out of range [-1]');
      assert.equal(e.provider, 'aescbc');
    });

    it('ends the chain: a later provider that could read the value is never tried', async () => {
      const chain = build([aescbc({ name: 'k', secret: KEY16 }), identity]);
      const e = await failure(chain.fromStorage(ivOnly, AD));
      assert.equal(e.code, 'ERR_UPSTREAM_PANIC');
    });
  });

  describe(`identity in chains (docs/FORMATS.md#identity-and-overlapping-prefixes) × ${backend.name}`, () => {
    const cbc = aescbc({ name: 'k1', secret: KEY16 });

    it('[identity] reading ciphertext says "no matching prefix found"', async () => {
      const stored = await build([cbc]).toStorage(utf8('x'), AD);
      const e = await failure(build([identity]).fromStorage(stored, AD));
      assert.equal(e.message, 'no matching prefix found');
      assert.equal(e.code, 'ERR_NO_MATCHING_PREFIX');
    });

    it('the bare identity says "identity transformer tried to read encrypted data"', async () => {
      const e = await failure(identityTransformer.fromStorage(utf8('k8s:enc:'), AD));
      assert.equal(e.message, 'identity transformer tried to read encrypted data');
      for (const plain of ['k8s:enc', 'k8s:encx', 'K8S:ENC:', '']) {
        const r = await identityTransformer.fromStorage(utf8(plain), AD);
        assert.deepEqual(r, { data: utf8(plain), stale: false });
      }
    });

    it('[identity, aescbc] reading corrupt aescbc gives the aescbc error', async () => {
      const stored = concatBytes(utf8('k8s:enc:aescbc:v1:k1:'), new Uint8Array(20));
      const e = await failure(build([identity, cbc]).fromStorage(stored, AD));
      assert.equal(e.message, 'the stored data is not a multiple of the block size');
    });

    it('identity last reads plaintext as stale; identity first does not', async () => {
      assert.deepEqual(await build([cbc, identity]).fromStorage(utf8('{"kind":"Secret"}'), AD), {
        data: utf8('{"kind":"Secret"}'),
        stale: true,
      });
      assert.equal((await build([identity, cbc]).fromStorage(utf8('{}'), AD)).stale, false);
    });

    it('identity writes k8s:enc:… plaintext verbatim, and nothing can read it back', async () => {
      const chain = build([identity, cbc]);
      const stored = await chain.toStorage(utf8('k8s:enc:aescbc:v1:zz:abc'), AD);
      assert.deepEqual(stored, utf8('k8s:enc:aescbc:v1:zz:abc'));
      const e = await failure(chain.fromStorage(stored, AD));
      assert.equal(e.message, 'no matching key was found for the provided AES transformer');
    });
  });

  describe(`prefix matching, stale and aggregation (docs/FORMATS.md#prefix-chains) × ${backend.name}`, () => {
    it('keys [a, a:b]: a value under a:b: fails under a: then reads under a:b: as stale', async () => {
      const ab = { name: 'a:b', secret: KEY16 };
      const stored = await build([aescbc(ab)]).toStorage(utf8('overlap'), AD);
      assert.deepEqual(stored.subarray(0, 22), utf8('k8s:enc:aescbc:v1:a:b:'));
      const r = await build([aescbc({ name: 'a', secret: KEY32 }, ab)]).fromStorage(stored, AD);
      assert.deepEqual(r, { data: utf8('overlap'), stale: true });
    });

    it('stale for a non-first key and a non-first provider, not for the first of each', async () => {
      const k1 = { name: 'k1', secret: KEY16 };
      const k2 = { name: 'k2', secret: KEY32 };
      const stored = await build([aesgcm(k1)]).toStorage(utf8('v'), AD);
      assert.equal((await build([aesgcm(k1, k2)]).fromStorage(stored, AD)).stale, false);
      assert.equal((await build([aesgcm(k2, k1)]).fromStorage(stored, AD)).stale, true);
      assert.equal((await build([secretbox({ name: 'k1', secret: KEY32 }), aesgcm(k1)]).fromStorage(stored, AD)).stale, true);
    });

    it('errors of every matching provider aggregate as "[a, b]"', async () => {
      const decrypted = new Uint8Array(32).fill(0x04);
      decrypted[29] = 0x05;
      const stored = craftedCbcValue(backend, 'k1', decrypted);
      const chain = build([aescbc({ name: 'k1', secret: KEY16 }), aescbc({ name: 'k2', secret: KEY16 })]);
      const e = await failure(chain.fromStorage(stored, AD));
      assert.equal(e.message, '[invalid padding on input, no matching key was found for the provided AES transformer]');
      assert.equal(e.code, 'ERR_MULTIPLE');
      assert.deepEqual(
        e.errors?.map((x) => x.code),
        ['ERR_PADDING', 'ERR_NO_MATCHING_KEY'],
      );
    });

    it('repeated messages collapse to one bare error', async () => {
      const stored = await build([aesgcm({ name: 'k', secret: KEY16 })]).toStorage(utf8('v'), AD);
      const wrong = aesgcm({ name: 'k', secret: KEY32 });
      const e = await failure(build([wrong, wrong]).fromStorage(stored, AD));
      assert.equal(e.message, 'cipher: message authentication failed');
      assert.equal(e.code, 'ERR_AUTH_FAILED');
    });

    it('GCM values are bound to their etcd key; CBC and secretbox values are not', async () => {
      for (const p of [aescbc({ name: 'k', secret: KEY16 }), secretbox({ name: 'k', secret: KEY32 })]) {
        const stored = await build([p]).toStorage(utf8('moved'), AD);
        assert.deepEqual((await build([p]).fromStorage(stored, '/registry/secrets/other/s1')).data, utf8('moved'));
      }
      const gcm = aesgcm({ name: 'k', secret: KEY16 });
      const stored = await build([gcm]).toStorage(utf8('moved'), AD);
      const e = await failure(build([gcm]).fromStorage(stored, '/registry/secrets/other/s1'));
      assert.equal(e.message, 'cipher: message authentication failed');
    });

    it('an unconfigured type or version is "no matching prefix found"', async () => {
      const e = await failure(build([aescbc({ name: 'k', secret: KEY16 })]).fromStorage(utf8('k8s:enc:aescbc:v2:k:'), AD));
      assert.equal(e.message, 'no matching prefix found');
    });

    it('secretbox authentication failure keeps its misleading upstream text', async () => {
      const stored = await build([secretbox({ name: 'k', secret: KEY32 })]).toStorage(utf8('v'), AD);
      stored[stored.length - 1]! ^= 1;
      const e = await failure(build([secretbox({ name: 'k', secret: KEY32 })]).fromStorage(stored, AD));
      assert.equal(e.message, 'output array was not large enough for encryption');
      assert.equal(e.provider, 'secretbox');
    });

    it('a KMS provider with no plugin connected fails clearly without hiding other providers', async () => {
      const kms: ProviderConfig = { type: 'kms', apiVersion: 'v2', name: 'k2', endpoint: 'unix:///k2.sock', timeoutMs: 3000 };
      const cbc = aescbc({ name: 'k', secret: KEY16 });
      const stored = await build([cbc]).toStorage(utf8('v'), AD);
      assert.deepEqual(await build([kms, cbc]).fromStorage(stored, AD), { data: utf8('v'), stale: true });
      const e = await failure(build([kms, cbc]).toStorage(utf8('v'), AD));
      assert.equal(e.code, 'ERR_KMS');
      assert.equal(e.message, 'no KMS plugin is connected for provider k2');
      assert.equal(e.provider, 'kms:v2:k2');
    });
  });

  describe(`GCM core known answer (docs/FORMATS.md#known-answers) × ${backend.name}`, () => {
    const key = utf8('snorlax_awesomes');
    const stored = fromHex('9f27c8fcea8a58c467d8e437dbf2d85955f9b4bd912f4ef967d788a0cb07797dac0a3f0a0845605ca85ac8562b4ae1');

    it('opens the upstream-recorded value and reproduces it from its nonce', () => {
      assert.deepEqual(gcmOpen(backend, key, stored, utf8('bamboo')), utf8('pandas are the best'));
      const sealed = gcmSealWithNonce(backend, key, stored.subarray(0, 12), utf8('pandas are the best'), utf8('bamboo'));
      assert.deepEqual(sealed, stored);
    });

    it('short inputs are "shorter than the required size", 12–27 bytes fail authentication', () => {
      assert.throws(() => gcmOpen(backend, key, stored.subarray(0, 11), utf8('bamboo')), {
        message: 'the stored data was shorter than the required size',
      });
      for (const n of [12, 20, 27]) {
        assert.throws(() => gcmOpen(backend, key, stored.subarray(0, n), utf8('bamboo')), {
          message: 'cipher: message authentication failed',
        });
      }
    });
  });
}

describe('build-time key checks and write-time randomness', () => {
  it('aes keys must be 16/24/32 bytes, secretbox keys 32', () => {
    for (const p of [aescbc, aesgcm]) {
      assert.throws(() => buildProviderChain([p({ name: 'k', secret: new Uint8Array(17) })]), {
        code: 'ERR_INVALID_KEY',
        message: 'crypto/aes: invalid key size 17',
      });
    }
    assert.throws(() => buildProviderChain([secretbox({ name: 'k', secret: KEY16 })]), {
      code: 'ERR_INVALID_KEY',
      message: 'expected key size 32 for secretbox provider, got 16',
    });
    assert.doesNotThrow(() => buildProviderChain([aescbc({ name: 'k', secret: new Uint8Array(24) })]));
  });

  it('a short random read fails the write with the upstream text', async () => {
    const short: RandomSource = (n) => new Uint8Array(n - 1);
    const cases: [ProviderConfig, string][] = [
      [aescbc({ name: 'k', secret: KEY16 }), 'unable to read sufficient random bytes'],
      [secretbox({ name: 'k', secret: KEY32 }), 'unable to read sufficient random bytes'],
      [aesgcm({ name: 'k', secret: KEY16 }), 'failed to write nonce for AES-GCM: unexpected EOF'],
    ];
    for (const [p, message] of cases) {
      const e = await failure(buildProviderChain([p], { random: short }).toStorage(utf8('v'), AD));
      assert.equal(e.message, message);
      assert.equal(e.code, 'ERR_WRITE');
    }
  });
});

describe('aggregateErrors (apimachinery utilerrors)', () => {
  const err = (m: string) => new K8sEncError('ERR_AUTH_FAILED', m);

  it('flattens nested aggregates depth-first and drops repeated messages', () => {
    const inner = aggregateErrors([
      err('cipher: message authentication failed'),
      err('the stored data is not a multiple of the block size'),
    ]);
    const e = aggregateErrors([
      err('fakekms: unwrap failed: cipher: message authentication failed'),
      inner,
      err('cipher: message authentication failed'),
    ]);
    assert.equal(
      e.message,
      '[fakekms: unwrap failed: cipher: message authentication failed, cipher: message authentication failed, ' +
        'the stored data is not a multiple of the block size]',
    );
    assert.equal(e.errors?.length, 3);
  });

  it('returns a single error, or a single surviving message, bare', () => {
    const a = err('a');
    assert.equal(aggregateErrors([a]), a);
    assert.equal(aggregateErrors([a, err('a'), aggregateErrors([err('a'), err('a')])]), a);
  });
});

// ---- properties ----

const PROVIDER_TYPES = ['aescbc', 'aesgcm', 'secretbox'] as const;
const exactly = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const typeArb = fc.constantFrom(...PROVIDER_TYPES);
const NONCE_SIZE = { aescbc: 16, aesgcm: 12, secretbox: 24 } as const;

const keyFor = (type: (typeof PROVIDER_TYPES)[number]) =>
  (type === 'secretbox' ? fc.constant(32) : fc.constantFrom(16, 24, 32)).chain((n) => exactly(n));

/** A provider with 1–3 keys whose names are unique across the whole chain (`p<i>k<j>`). */
const providerArb = (i: number): fc.Arbitrary<ProviderConfig> =>
  fc.oneof(
    fc.constant<ProviderConfig>(identity),
    fc
      .constantFrom(...PROVIDER_TYPES)
      .chain((type) =>
        fc
          .array(keyFor(type), { minLength: 1, maxLength: 3 })
          .map((secrets): ProviderConfig => ({ type, keys: secrets.map((secret, j) => ({ name: `p${i}k${j}`, secret })) })),
      ),
  );

const chainArb = fc.integer({ min: 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => providerArb(i))));
const adArb = fc.oneof(fc.string({ maxLength: 80 }), fc.uint8Array({ maxLength: 80 }));
/** Plaintexts that cannot start with `k8s:enc:`: identity writes those verbatim and can never read them back. */
const plaintextArb = fc.uint8Array({ maxLength: 300 }).filter((b) => !(b[0] === 0x6b && b[1] === 0x38));

describe('properties', () => {
  it('every provider and backend round-trips any plaintext and AD with stale=false', async () => {
    await fc.assert(
      fc.asyncProperty(
        typeArb.chain((t) => fc.tuple(fc.constant(t), keyFor(t))),
        plaintextArb,
        adArb,
        async ([type, secret], plain, ad) => {
          for (const backend of availableBackends()) {
            const chain = buildProviderChain([{ type, keys: [{ name: 'key', secret }] }], { backend: backend.name });
            const r = await chain.fromStorage(await chain.toStorage(plain, ad), ad);
            assert.deepEqual(r, { data: plain, stale: false });
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('chains round-trip, and read as stale once the writer is no longer first', async () => {
    await fc.assert(
      fc.asyncProperty(chainArb, plaintextArb, adArb, fc.nat(), async (providers, plain, ad, rot) => {
        const stored = await buildProviderChain(providers).toStorage(plain, ad);
        assert.deepEqual(await buildProviderChain(providers).fromStorage(stored, ad), { data: plain, stale: false });
        const k = rot % providers.length;
        const rotated = [...providers.slice(providers.length - k), ...providers.slice(0, providers.length - k)];
        // Key names are unique, so only the writer reads the value, unless an identity writer meets
        // another identity, which reads it too: not stale when that one comes first.
        if (k === 0 || (providers[0]!.type === 'identity' && rotated[0]!.type === 'identity')) return;
        assert.deepEqual(await buildProviderChain(rotated).fromStorage(stored, ad), { data: plain, stale: true });
      }),
      { numRuns: 100 },
    );
  });

  it('node and noble give identical bytes for the same injected randomness', async () => {
    const [node, noble] = [getBackend('node'), getBackend('noble')];
    await fc.assert(
      fc.asyncProperty(
        typeArb.chain((t) => fc.tuple(fc.constant(t), keyFor(t), exactly(NONCE_SIZE[t]))),
        plaintextArb,
        adArb,
        async ([type, secret, nonce], plain, ad) => {
          const providers: ProviderConfig[] = [{ type, keys: [{ name: 'key', secret }] }];
          const random = () => nonce.slice();
          const a = await buildProviderChain(providers, { backend: node.name, random }).toStorage(plain, ad);
          const b = await buildProviderChain(providers, { backend: noble.name, random }).toStorage(plain, ad);
          assert.deepEqual(a, b);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('any stored bytes read as a value or a K8sEncError, identically on every backend', async () => {
    const providers: ProviderConfig[] = [
      aescbc({ name: 'k', secret: KEY16 }),
      aesgcm({ name: 'k', secret: KEY16 }),
      secretbox({ name: 'k', secret: KEY32 }),
      aescbc({ name: 'k:2', secret: KEY32 }),
    ];
    const chains = availableBackends().map((b) => buildProviderChain(providers, { backend: b.name }));
    const writer = buildProviderChain(providers);
    const prefixes = ['', 'k8s:enc:', ...['aescbc:v1:k', 'aesgcm:v1:k', 'secretbox:v1:k', 'aescbc:v1:k:2'].map((p) => `k8s:enc:${p}:`)];
    const random = fc.tuple(fc.constantFrom(...prefixes), fc.uint8Array({ maxLength: 120 })).map(([p, b]) => concatBytes(utf8(p), b));
    const mutated = fc
      .tuple(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat())
      .map(async ([plain, at, xor, cut]) => {
        const s = await writer.toStorage(plain, AD);
        s[at % s.length]! ^= xor;
        return s.subarray(0, s.length - (cut % 3 === 0 ? cut % 40 : 0));
      });
    const outcome = async (chain: Transformer, stored: Uint8Array): Promise<string> => {
      try {
        const r = await chain.fromStorage(stored, AD);
        return `ok ${Buffer.from(r.data).toString('hex')} ${r.stale}`;
      } catch (e) {
        assert.ok(e instanceof K8sEncError, `not a K8sEncError: ${String(e)}`);
        return `error ${e.code} ${e.message}`;
      }
    };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          random.map(async (b) => b),
          mutated,
        ),
        async (storedP) => {
          const stored = await storedP;
          const outcomes = await Promise.all(chains.map((c) => outcome(c, stored)));
          assert.equal(new Set(outcomes).size, 1, outcomes.join(' ≠ '));
        },
      ),
      { numRuns: 300 },
    );
  });
});
