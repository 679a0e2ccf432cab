// KMS v1 and v2 envelopes checked against the upstream vectors, the upstream HKDF known answer and
// the byte rules of docs/FORMATS.md#kms-v1 and #kms-v2, on every crypto backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, startsWith, toHex, utf8 } from '../src/bytes.ts';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import { availableBackends } from '../src/crypto/select.ts';
import { K8sEncError } from '../src/errors.ts';
import { buildProviderChain } from '../src/config/provider-chain.ts';
import { createKmsV1Transformer } from '../src/transformers/kms-v1.ts';
import { createKmsV2Transformer } from '../src/transformers/kms-v2.ts';
import {
  decodeEncryptedObject,
  encodeEncryptedObject,
  validateEncryptedObject,
  type EncryptedObject,
} from '../src/transformers/kms-v2-object.ts';
import { deriveSeedKey, seedOpen } from '../src/transformers/kms-v2-seed.ts';
import type { KmsV1Service, KmsV2Service, RandomSource, Transformer } from '../src/transformers/types.ts';
import { fakeKmsV1, fakeKmsV2, kmsV2ModeFor } from './support/fake-kms.ts';
import {
  VECTOR_DIR,
  b64,
  loadVectors,
  providerConfigs,
  vectorOptions,
  type TransformerVector,
  type VectorProvider,
} from './support/vectors.ts';

const KMS_VECTORS = ['positive', 'negative', 'chains']
  .flatMap((f) => loadVectors(`${VECTOR_DIR}/${f}.jsonl`))
  .filter((v) => v.provider.includes('kms'));

const FIRST_DEK_NONCE_TAIL = '01ca9a3b00000000';
const AD = '/registry/secrets/default/s1';

// ---------------------------------------------------------------------------------------------
// helpers

function prefixOf(p: VectorProvider): Uint8Array {
  return utf8(`k8s:enc:kms:${p.apiVersion}:${p.name}:`);
}

/** Hands out exactly the given draws, in order, and fails the test on any other request. */
function scriptedRandom(draws: Uint8Array[]): RandomSource & { left(): number } {
  let i = 0;
  const random = (n: number): Uint8Array => {
    const d = draws[i++];
    if (d === undefined || d.length !== n) throw new Error(`unexpected random draw #${i} of ${n} bytes`);
    return d;
  };
  return Object.assign(random, { left: () => draws.length - i });
}

function kmsTransformer(
  p: VectorProvider,
  backend: CryptoBackend,
  opts: { random?: RandomSource; mode?: 'seed' | 'dek'; nonceCounterStart?: bigint } = {},
): Transformer {
  const random = opts.random ?? backend.randomBytes;
  if (p.apiVersion === 'v1') {
    return createKmsV1Transformer({ name: p.name!, service: fakeKmsV1(p), cacheSize: p.cachesize ?? 1000, backend, random });
  }
  const params = { name: p.name!, service: fakeKmsV2(p), mode: opts.mode ?? kmsV2ModeFor([p]), backend, random };
  return createKmsV2Transformer(opts.nonceCounterStart === undefined ? params : { ...params, nonceCounterStart: opts.nonceCounterStart });
}

async function expectOutcome(v: TransformerVector, read: () => Promise<{ data: Uint8Array; stale: boolean }>): Promise<void> {
  if (v.expect === 'ok') {
    const r = await read();
    assert.equal(toHex(r.data), toHex(b64(v.plaintext)));
    assert.equal(r.stale, v.stale);
    return;
  }
  await assert.rejects(read(), (e: unknown) => {
    assert.ok(e instanceof K8sEncError, `not a K8sEncError: ${String(e)}`);
    if (v.expect === 'panic') {
      assert.equal(e.code, 'ERR_UPSTREAM_PANIC');
      assert.equal(e.upstreamPanic, v.panic);
    } else {
      assert.ok([v.error, ...(v.errorAlternatives ?? [])].includes(e.message), `got ${JSON.stringify(e.message)}`);
    }
    return true;
  });
}

function isK8sEncError(e: unknown): boolean {
  return e instanceof K8sEncError;
}

/** Runs `f`; any throw other than a K8sEncError fails the property. */
async function valueOrK8sEncError(f: () => Promise<unknown>): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (e) {
    return isK8sEncError(e);
  }
}

function obj(fields: Partial<EncryptedObject>): EncryptedObject {
  return {
    encryptedData: Uint8Array.of(1),
    keyID: 'k',
    encryptedDEKSource: Uint8Array.of(2),
    annotations: {},
    encryptedDEKSourceType: 0,
    ...fields,
  };
}

function decodeError(hex: string): string {
  try {
    decodeEncryptedObject(fromHex(hex));
  } catch (e) {
    assert.ok(e instanceof K8sEncError);
    return e.message;
  }
  return 'no error';
}

function validationError(o: EncryptedObject): string {
  try {
    validateEncryptedObject(o);
  } catch (e) {
    assert.ok(e instanceof K8sEncError);
    return e.message;
  }
  return 'no error';
}

// ---------------------------------------------------------------------------------------------
// vector replay straight through the envelope transformers

/**
 * A write whose random draws are the upstream write's own DEK/seed, info and nonce must
 * reproduce upstream's ciphertext exactly; only the plugin's wrapping (its own random nonce) differs.
 */
async function checkReproducedWrite(v: TransformerVector, backend: CryptoBackend): Promise<void> {
  const p = v.providers[0]!;
  const k = v.kms as { plaintextDEK: string; encryptedData: string; encryptedDEKSourceType?: number };
  const upstreamData = b64(k.encryptedData);
  const source = b64(p.kmsv2State?.plaintextDEKSource ?? k.plaintextDEK);
  const plaintext = b64(v.plaintext);
  const stored = b64(v.stored);
  const prefix = prefixOf(p);

  if (p.apiVersion === 'v1') {
    const random = scriptedRandom([source, upstreamData.subarray(0, 12)]);
    const out = await kmsTransformer(p, backend, { random }).toStorage(plaintext, v.authenticatedData);
    const encLen = (out[0]! << 8) | out[1]!;
    assert.equal(encLen, 60, 'the fake wraps a 32-byte DEK into nonce(12) ‖ ct(32) ‖ tag(16)');
    assert.equal(toHex(out.subarray(2 + encLen)), toHex(upstreamData), 'GCM payload');
    assert.equal(toHex(await fakeKmsV1(p).decrypt(out.subarray(2, 2 + encLen))), toHex(source), 'wrapped DEK');
    return;
  }

  const seed = kmsV2ModeFor([p]) === 'seed';
  const draws = seed ? [source, upstreamData.subarray(0, 32), upstreamData.subarray(32, 44)] : [source, upstreamData.subarray(0, 4)];
  const counter = seed ? undefined : new DataView(upstreamData.buffer, upstreamData.byteOffset + 4, 8).getBigUint64(0, true);
  const t = kmsTransformer(p, backend, {
    random: scriptedRandom(draws),
    ...(counter === undefined ? {} : { nonceCounterStart: counter - 1n }),
  });
  const out = decodeEncryptedObject(await t.toStorage(plaintext, v.authenticatedData));
  assert.equal(toHex(out.encryptedData), toHex(upstreamData), 'encryptedData');
  // Everything but the plugin's wrapping must be what upstream wrote, in the same wire layout.
  const upstreamBody = stored.subarray(prefix.length);
  const upstream = decodeEncryptedObject(upstreamBody);
  const rewritten = encodeEncryptedObject({ ...out, encryptedDEKSource: upstream.encryptedDEKSource });
  if (Object.keys(upstream.annotations).length < 2) assert.equal(toHex(rewritten), toHex(upstreamBody));
  else assert.deepEqual({ ...decodeEncryptedObject(rewritten).annotations }, { ...upstream.annotations });
}

for (const backend of availableBackends()) {
  describe(`KMS vectors straight through the envelopes × ${backend.name}`, () => {
    it('has the KMS vectors of all three files', () => {
      assert.ok(KMS_VECTORS.length >= 370, `only ${KMS_VECTORS.length} KMS vectors`);
    });

    for (const v of KMS_VECTORS.filter((x) => x.providers.length === 1)) {
      it(`${v.id} ${v.category}: ${v.description ?? v.provider}`, async () => {
        const p = v.providers[0]!;
        const prefix = prefixOf(p);
        const t = kmsTransformer(p, backend);
        if (v.op === 'write') {
          await expectOutcome(v, () =>
            t.toStorage(b64(v.plaintext), v.authenticatedData).then(() => ({ data: new Uint8Array(0), stale: false })),
          );
          return;
        }
        const stored = b64(v.stored);
        if (!startsWith(stored, prefix)) {
          assert.equal(v.error, 'no matching prefix found', 'a value for another provider');
          return;
        }
        await expectOutcome(v, () => t.fromStorage(stored.subarray(prefix.length), v.authenticatedData));
        if (v.op === 'write+read') {
          const written = await t.toStorage(b64(v.plaintext), v.authenticatedData);
          const back = await t.fromStorage(written, v.authenticatedData);
          assert.equal(toHex(back.data), toHex(b64(v.plaintext)));
          assert.equal(back.stale, false);
          if (v.kms !== undefined) await checkReproducedWrite(v, backend);
        }
      });
    }

    for (const v of KMS_VECTORS.filter((x) => x.providers.length > 1 || x.op === 'write+read')) {
      it(`${v.id} through buildProviderChain`, async () => {
        const chain = buildProviderChain(providerConfigs(v.providers), vectorOptions(v, backend.name));
        if (v.op === 'write') {
          await assert.rejects(chain.toStorage(b64(v.plaintext), v.authenticatedData), isK8sEncError);
          return;
        }
        await expectOutcome(v, () => chain.fromStorage(b64(v.stored), v.authenticatedData));
        if (v.op === 'write+read') {
          const written = await chain.toStorage(b64(v.plaintext), v.authenticatedData);
          const writer = v.providers[0]!;
          if (writer.type === 'kms') assert.ok(startsWith(written, prefixOf(writer)));
          const back = await chain.fromStorage(written, v.authenticatedData);
          assert.equal(toHex(back.data), toHex(b64(v.plaintext)));
          assert.equal(back.stale, false);
        }
      });
    }

    it('replays each DEK-mode key ID group through one transformer: the counter advances by one per write', async () => {
      const dek = KMS_VECTORS.filter((v) => v.id.startsWith('pos-') && v.provider === 'kms-v2-dek');
      const groups = new Map<string, TransformerVector[]>();
      for (const v of dek) {
        const keyID = v.providers[0]!.kmsv2State!.keyID;
        groups.set(keyID, [...(groups.get(keyID) ?? []), v]);
      }
      assert.ok(groups.size >= 4);
      for (const group of groups.values()) {
        const p = group[0]!.providers[0]!;
        const nonces = group.map((v) => b64((v.kms as { encryptedData: string }).encryptedData).subarray(0, 4));
        const t = kmsTransformer(p, backend, { random: scriptedRandom([b64(p.kmsv2State!.plaintextDEKSource), ...nonces]) });
        for (const [i, v] of group.entries()) {
          const out = decodeEncryptedObject(await t.toStorage(b64(v.plaintext), v.authenticatedData));
          assert.equal(toHex(out.encryptedData), toHex(b64((v.kms as { encryptedData: string }).encryptedData)), v.id);
          if (i === 0) assert.equal(toHex(out.encryptedData.subarray(4, 12)), FIRST_DEK_NONCE_TAIL);
        }
      }
    });
  });
}

// ---------------------------------------------------------------------------------------------
// seed layer known answer (docs/FORMATS.md#known-answers, upstream aes_test.go)

describe('KMS v2 seed layer', () => {
  const seed = fromHex('5d40323a820ff95561675e3b95e81867c5fdd561d35a88a2d08b08aa9d4fcf5c');
  const stored = fromHex(
    '2442759e33945fbad709db577a0f037fd8a709fc76979b8942209debcecb9d57efe3d6ff6a1ef6ee9a5003b9833b3043cec1e47b35175b151107a8d2416b0e296bbf66b5d102fcefdf9a78f293d271',
  );
  for (const backend of availableBackends()) {
    it(`derives the upstream key and reads the upstream value × ${backend.name}`, () => {
      assert.equal(
        toHex(deriveSeedKey(backend, seed, stored.subarray(0, 32))),
        '6e58b7659c304b0c382f42f16bd700465def1dead80bf6f1bf1d52073bdb0c00',
      );
      assert.equal(new TextDecoder().decode(seedOpen(backend, seed, stored, utf8('bamboo'))), 'pandas are the best');
    });
  }

  it('checks the length before the empty-AD crash, and crashes (as an error) only with enough data', () => {
    const backend = availableBackends()[0]!;
    assert.throws(() => seedOpen(backend, seed, stored.subarray(0, 31), new Uint8Array(0)), {
      message: 'the stored data was shorter than the required size',
    });
    assert.throws(() => seedOpen(backend, seed, stored, new Uint8Array(0)), {
      code: 'ERR_UPSTREAM_PANIC',
      upstreamPanic: 'authenticated data must not be empty',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// writes

const v1Provider: VectorProvider = {
  type: 'kms',
  apiVersion: 'v1',
  name: 'kms1',
  cachesize: 1000,
  fakeKMS: { algorithm: 'fake-kms-aes256gcm-nonce12', kek: 'KYARhnoHz1F/EzkYiYjEKGpQtKUD+SfC5lkphsvh0Kg=' },
};

function v2Provider(currentKeyID = 'kid-1', annotations?: Record<string, string>): VectorProvider {
  return {
    type: 'kms',
    apiVersion: 'v2',
    name: 'kms2',
    fakeKMS: {
      algorithm: 'fake-kms-aes256gcm-nonce12',
      keks: { 'kid-1': '0Yxc0nM/rP8MDiGiaqqYBz7852Tt2wGBKB0cgIjCEDo=', 'kid-2': 'uYfvQBkI8beoqWaykFOOFc30jbObhSh+DXEr1XVfjmE=' },
      currentKeyID,
      ...(annotations === undefined ? {} : { annotations }),
    },
  };
}

/** A fake v2 plugin whose current key can be rotated and whose calls are counted. */
function rotatingKms(): KmsV2Service & { keyID: string; encrypts: number; decrypts: number } {
  const kms = {
    keyID: 'kid-1',
    encrypts: 0,
    decrypts: 0,
    status: async () => ({ keyID: kms.keyID }),
    encrypt: async (plain: Uint8Array) => {
      kms.encrypts++;
      return fakeKmsV2(v2Provider(kms.keyID)).encrypt(plain);
    },
    decrypt: async (req: Parameters<KmsV2Service['decrypt']>[0]) => {
      kms.decrypts++;
      return fakeKmsV2(v2Provider()).decrypt(req);
    },
  };
  return kms;
}

describe('KMS writes', () => {
  const backend = availableBackends()[0]!;
  const plaintext = utf8('k8s\x00 a secret');

  it('v1: BE16 ‖ encDEK ‖ nonce(12) ‖ ct ‖ tag(16), with a new DEK for every write', async () => {
    const t = kmsTransformer(v1Provider, backend);
    const a = await t.toStorage(plaintext, AD);
    const b = await t.toStorage(plaintext, AD);
    for (const w of [a, b]) {
      assert.equal((w[0]! << 8) | w[1]!, 60);
      assert.equal(w.length, 2 + 60 + 12 + plaintext.length + 16);
    }
    const kms = fakeKmsV1(v1Provider);
    const dekA = await kms.decrypt(a.subarray(2, 62));
    const dekB = await kms.decrypt(b.subarray(2, 62));
    assert.equal(dekA.length, 32);
    assert.notEqual(toHex(dekA), toHex(dekB));
  });

  it('v1: a failing plugin Encrypt is wrapped, a failing Decrypt is returned as the plugin said it', async () => {
    const broken: KmsV1Service = {
      encrypt: async () => {
        throw new Error('rpc error: code = Unavailable desc = connection refused');
      },
      decrypt: async () => {
        throw 'plugin gone'; // plugins may throw anything, not only Errors
      },
    };
    const t = createKmsV1Transformer({ name: 'x', service: broken, cacheSize: 10, backend, random: backend.randomBytes });
    await assert.rejects(t.toStorage(plaintext, AD), {
      code: 'ERR_KMS',
      message: 'failed to encrypt DEK, error: rpc error: code = Unavailable desc = connection refused',
    });
    await assert.rejects(t.fromStorage(fromHex('0001ff'), AD), { code: 'ERR_KMS', message: 'plugin gone' });
  });

  it('v1: the DEK cache spares the plugin; a negative cache size disables it', async () => {
    const written = await kmsTransformer(v1Provider, backend).toStorage(plaintext, AD);
    for (const [cacheSize, expectedCalls] of [
      [1000, 1],
      [-1, 3],
    ] as const) {
      let calls = 0;
      const fake = fakeKmsV1(v1Provider);
      const counting: KmsV1Service = {
        encrypt: fake.encrypt,
        decrypt: (c) => {
          calls++;
          return fake.decrypt(c);
        },
      };
      const t = createKmsV1Transformer({ name: 'kms1', service: counting, cacheSize, backend, random: backend.randomBytes });
      for (let i = 0; i < 3; i++) assert.equal(toHex((await t.fromStorage(written, AD)).data), toHex(plaintext));
      assert.equal(calls, expectedCalls, `cacheSize ${cacheSize}`);
    }
  });

  it("the factories take createTransformer's option shapes: backend by name, random, cacheSize and mode defaulted", async () => {
    const v1 = createKmsV1Transformer({ name: 'kms1', service: fakeKmsV1(v1Provider), backend: 'noble' });
    const viaNode = createKmsV1Transformer({ name: 'kms1', service: fakeKmsV1(v1Provider) });
    const written = await v1.toStorage(plaintext, AD);
    assert.equal(toHex((await viaNode.fromStorage(written, AD)).data), toHex(plaintext));
    const v2 = createKmsV2Transformer({ name: 'kms2', service: rotatingKms(), backend });
    // Seed mode by default (Kubernetes >= 1.29): encryptedDEKSourceType 1.
    assert.equal(decodeEncryptedObject(await v2.toStorage(plaintext, AD)).encryptedDEKSourceType, 1);
  });

  it('v2 DEK mode: one DEK per key ID, nonce rand(4) ‖ LE64(counter) from 1 000 000 001, +1 per write', async () => {
    const kms = rotatingKms();
    const t = createKmsV2Transformer({ name: 'kms2', service: kms, mode: 'dek', backend, random: backend.randomBytes });
    const bodies = [];
    for (let i = 0; i < 3; i++) bodies.push(decodeEncryptedObject(await t.toStorage(plaintext, AD)));
    assert.equal(kms.encrypts, 1);
    assert.deepEqual(
      bodies.map((o) => toHex(o.encryptedData.subarray(4, 12))),
      [FIRST_DEK_NONCE_TAIL, '02ca9a3b00000000', '03ca9a3b00000000'],
    );
    for (const o of bodies) {
      assert.equal(o.encryptedDEKSourceType, 0);
      assert.equal(o.keyID, 'kid-1');
      assert.equal(o.encryptedData.length, 12 + plaintext.length + 16);
      assert.equal(toHex(o.encryptedDEKSource), toHex(bodies[0]!.encryptedDEKSource));
    }
    // Reading our own writes hits the cache the write filled, as upstream's does.
    await t.fromStorage(encodeEncryptedObject(bodies[0]!), AD);
    assert.equal(kms.decrypts, 0);

    kms.keyID = 'kid-2';
    const rotated = decodeEncryptedObject(await t.toStorage(plaintext, AD));
    assert.equal(kms.encrypts, 2);
    assert.equal(rotated.keyID, 'kid-2');
    assert.equal(toHex(rotated.encryptedData.subarray(4, 12)), FIRST_DEK_NONCE_TAIL, 'the counter restarts per DEK');
    assert.notEqual(toHex(rotated.encryptedDEKSource), toHex(bodies[0]!.encryptedDEKSource));
    // The old value still reads, now stale because its key ID is no longer current.
    const old = await t.fromStorage(encodeEncryptedObject(bodies[0]!), AD);
    assert.equal(old.stale, true);
  });

  it('v2 DEK mode: the counter wrap is an error, not a crash', async () => {
    const t = createKmsV2Transformer({
      name: 'kms2',
      service: rotatingKms(),
      mode: 'dek',
      backend,
      random: backend.randomBytes,
      nonceCounterStart: 2n ** 64n - 2n,
    });
    const last = decodeEncryptedObject(await t.toStorage(plaintext, AD));
    assert.equal(toHex(last.encryptedData.subarray(4, 12)), 'ffffffffffffffff');
    await assert.rejects(t.toStorage(plaintext, AD), {
      code: 'ERR_UPSTREAM_PANIC',
      upstreamPanic: 'aes-gcm detected nonce overflow - cryptographic wear out has occurred',
    });
  });

  it('v2 seed mode: info(32) ‖ nonce(12) ‖ ct ‖ tag, field 5 written last as 28 01, annotations kept', async () => {
    const p = v2Provider('kid-1', { 'version.encryption.remote.io': 'MQ==' });
    const t = kmsTransformer(p, backend, { mode: 'seed' });
    const a = await t.toStorage(plaintext, AD);
    const b = await t.toStorage(plaintext, AD);
    assert.equal(toHex(a.subarray(-2)), '2801');
    const oa = decodeEncryptedObject(a);
    const ob = decodeEncryptedObject(b);
    assert.equal(oa.encryptedDEKSourceType, 1);
    assert.equal(oa.encryptedData.length, 32 + 12 + plaintext.length + 16);
    assert.notEqual(toHex(oa.encryptedData.subarray(0, 32)), toHex(ob.encryptedData.subarray(0, 32)), 'new info per write');
    assert.equal(toHex(oa.encryptedDEKSource), toHex(ob.encryptedDEKSource), 'one seed per key ID');
    assert.deepEqual({ ...oa.annotations }, { 'version.encryption.remote.io': utf8('1') });
  });

  it('v2 seed mode: a write with an empty AD is refused like the upstream crash', async () => {
    const t = kmsTransformer(v2Provider(), backend, { mode: 'seed' });
    await assert.rejects(t.toStorage(plaintext, ''), {
      code: 'ERR_UPSTREAM_PANIC',
      upstreamPanic: 'authenticated data must not be empty',
    });
  });

  it('v2: plugin errors are wrapped on Encrypt and Decrypt, and a key ID mismatch refuses to write', async () => {
    const failing: KmsV2Service = {
      status: async () => ({ keyID: 'kid-1' }),
      encrypt: async () => {
        throw new Error('boom');
      },
      decrypt: async () => {
        throw new Error('bang');
      },
    };
    const t = createKmsV2Transformer({ name: 'x', service: failing, mode: 'seed', backend, random: backend.randomBytes });
    await assert.rejects(t.toStorage(plaintext, AD), { code: 'ERR_KMS', message: 'failed to encrypt DEK, error: boom' });
    const body = encodeEncryptedObject(obj({ encryptedData: new Uint8Array(60), keyID: 'kid-1' }));
    await assert.rejects(t.fromStorage(body, AD), { code: 'ERR_KMS', message: 'failed to decrypt DEK, error: bang' });

    const liar: KmsV2Service = { ...fakeKmsV2(v2Provider('kid-2')), status: async () => ({ keyID: 'kid-1' }) };
    const t2 = createKmsV2Transformer({ name: 'x', service: liar, mode: 'seed', backend, random: backend.randomBytes });
    await assert.rejects(t2.toStorage(plaintext, AD), (e: unknown) => e instanceof K8sEncError && e.code === 'ERR_KMS');
  });

  it('v2: the type of the current mode decides stale', async () => {
    const written = await kmsTransformer(v2Provider(), backend, { mode: 'seed' }).toStorage(plaintext, AD);
    assert.equal((await kmsTransformer(v2Provider(), backend, { mode: 'seed' }).fromStorage(written, AD)).stale, false);
    assert.equal((await kmsTransformer(v2Provider(), backend, { mode: 'dek' }).fromStorage(written, AD)).stale, true);
  });
});

// ---------------------------------------------------------------------------------------------
// EncryptedObject wire format (docs/FORMATS.md#kms-v2)

describe('EncryptedObject decoding, as protobuf-go', () => {
  const PROTO = 'proto: cannot parse invalid wire-format data';

  it('decodes every field; fields in any order; the last occurrence wins, map keys included', () => {
    const o = decodeEncryptedObject(
      fromHex(
        '2801' + '1a0102' + '2208' + '0a03612e62' + '120101' + '1201' + '6b' + '0a0101' + '0a0107' + '2208' + '0a03612e62' + '120109',
      ),
    );
    assert.equal(toHex(o.encryptedData), '07');
    assert.equal(o.keyID, 'k');
    assert.equal(toHex(o.encryptedDEKSource), '02');
    assert.deepEqual({ ...o.annotations }, { 'a.b': Uint8Array.of(9) });
    assert.equal(o.encryptedDEKSourceType, 1);
  });

  it('an empty body is the all-default object', () => {
    const o = decodeEncryptedObject(new Uint8Array(0));
    assert.equal(o.encryptedData.length, 0);
    assert.equal(o.keyID, '');
    assert.equal(validationError(o), 'encrypted data is empty');
  });

  it('skips unknown fields of every wire type, groups included', () => {
    const o = decodeEncryptedObject(
      fromHex('0a0101' + '3001' + '3d01020304' + '390102030405060708' + '3a0100' + '33' + '0801' + '3b' + '0a00' + '3c' + '34'),
    );
    assert.equal(toHex(o.encryptedData), '01');
    // field 1000 as bytes, after the known fields
    assert.equal(toHex(decodeEncryptedObject(fromHex('0a0101c23e0161')).encryptedData), '01');
  });

  it('skips a known field with the wrong wire type, keeping the earlier value', () => {
    assert.equal(decodeEncryptedObject(fromHex('0805')).encryptedData.length, 0);
    assert.equal(toHex(decodeEncryptedObject(fromHex('0a01010805')).encryptedData), '01');
    assert.equal(decodeEncryptedObject(fromHex('2a0101')).encryptedDEKSourceType, 0);
    assert.equal(decodeEncryptedObject(fromHex('2801' + '2d01020304')).encryptedDEKSourceType, 1);
    assert.equal(decodeEncryptedObject(fromHex('1001')).keyID, '');
    assert.equal(Object.keys(decodeEncryptedObject(fromHex('2001')).annotations).length, 0);
  });

  it('truncates the enum to int32', () => {
    assert.equal(decodeEncryptedObject(fromHex('288080808010')).encryptedDEKSourceType, 0); // 2^32
    assert.equal(decodeEncryptedObject(fromHex('288180808010')).encryptedDEKSourceType, 1); // 2^32 + 1
    assert.equal(decodeEncryptedObject(fromHex('28ffffffffffffffffff01')).encryptedDEKSourceType, -1); // 2^64 - 1
    assert.equal(decodeEncryptedObject(fromHex('28ffffffff07')).encryptedDEKSourceType, 2 ** 31 - 1);
    assert.equal(validationError(obj({ encryptedDEKSourceType: -1 })), 'unknown encryptedDEKSourceType: -1');
  });

  it('accepts a 10-byte varint whose last byte is 0 or 1, and nothing longer', () => {
    assert.equal(decodeEncryptedObject(fromHex('2881' + '80'.repeat(8) + '00')).encryptedDEKSourceType, 1);
    assert.equal(decodeError('28' + 'ff'.repeat(9) + '02'), PROTO);
    assert.equal(decodeError('28' + 'ff'.repeat(9) + '8100'), PROTO);
  });

  it('rejects malformed wire data with the protobuf-go message', () => {
    for (const hex of [
      '0a05010203', // bytes longer than the rest
      '0a', // tag without value
      '28', // varint missing
      '28ff', // varint cut short
      '00', // field number 0
      '0a010100', // trailing field number 0
      '0e', // wire type 6
      '0f', // wire type 7
      '33', // unterminated group
      '330801', // group cut short
      '333c', // group closed by another field number
      '34', // end-group with nothing open
      '0c', // end-group on a known field
      '808080801001', // field number 2^29 (beyond the maximum)
      '22020000', // map entry with field number 0 inside
      '22030a0261', // map entry key longer than the entry
      '2203340000', // end-group inside a map entry
      '68656c6c6f20776f726c64', // "hello world"
    ]) {
      assert.equal(decodeError(hex), PROTO, hex);
    }
  });

  it('reads the largest field number, and groups nested deep inside skipped fields', () => {
    assert.equal(toHex(decodeEncryptedObject(fromHex('0a0101f8ffffff0f01')).encryptedData), '01'); // field 2^29-1
    const depth = 2000;
    const nested = '33'.repeat(depth) + '34'.repeat(depth);
    assert.equal(toHex(decodeEncryptedObject(fromHex('0a0101' + nested)).encryptedData), '01');
  });

  it('rejects invalid UTF-8 in keyID and map keys, not in map values', () => {
    assert.equal(decodeError('1202c328'), 'string field contains invalid UTF-8');
    assert.equal(decodeError('1203eda080'), 'string field contains invalid UTF-8'); // a surrogate
    assert.equal(decodeError('22040a02c328'), 'string field contains invalid UTF-8');
    assert.equal(toHex(decodeEncryptedObject(fromHex('22080a03612e621201ff')).annotations['a.b']!), 'ff');
  });

  it('map entries: absent key is "", absent value empty, unknown entry fields skipped, BOM kept', () => {
    const o = decodeEncryptedObject(fromHex('2203120178' + '22051801' + '0a0161' + '22050a03efbbbf'));
    assert.deepEqual(Object.keys(o.annotations).sort(), ['', 'a', '\ufeff']);
    assert.equal(toHex(o.annotations['']!), '78');
    const p = decodeEncryptedObject(fromHex('22070a03612e621801'));
    assert.equal(p.annotations['a.b']!.length, 0);
  });

  it('a map key named __proto__ is an ordinary key', () => {
    const o = decodeEncryptedObject(fromHex('220d0a095f5f70726f746f5f5f1200'));
    assert.deepEqual(Object.keys(o.annotations), ['__proto__']);
    assert.equal(toHex(encodeEncryptedObject(obj({ annotations: o.annotations })).subarray(-15)), '220d0a095f5f70726f746f5f5f1200');
  });
});

describe('EncryptedObject encoding, as the Go writer', () => {
  it('writes fields in number order, omits proto3 zero values, writes both halves of map entries', () => {
    const o = obj({ annotations: { 'b.example': new Uint8Array(0), 'a.b': Uint8Array.of(3) }, encryptedDEKSourceType: 1 });
    assert.equal(
      toHex(encodeEncryptedObject(o)),
      '0a0101' + '12016b' + '1a0102' + '22080a03612e62120103' + '220d0a09622e6578616d706c651200' + '2801',
    );
    assert.equal(toHex(encodeEncryptedObject(obj({ keyID: '' }))), '0a0101' + '1a0102');
    assert.equal(toHex(encodeEncryptedObject(obj({ encryptedDEKSourceType: -1 }))).slice(-22), '28ffffffffffffffffff01');
  });

  it('re-encodes every upstream-written value with at most one annotation byte for byte', () => {
    let n = 0;
    for (const v of KMS_VECTORS) {
      const p = v.providers[0]!;
      if (v.storedOrigin !== 'upstream-write' || p.apiVersion !== 'v2' || v.providers.length !== 1) continue;
      const body = b64(v.stored).subarray(prefixOf(p).length);
      const o = decodeEncryptedObject(body);
      if (Object.keys(o.annotations).length > 1) continue;
      assert.equal(toHex(encodeEncryptedObject(o)), toHex(body), v.id);
      n++;
    }
    assert.ok(n > 150, `only ${n} values`);
  });

  it('round-trips any object', () => {
    const annotationKey = fc.string({ unit: 'grapheme', maxLength: 12 });
    fc.assert(
      fc.property(
        fc.record({
          encryptedData: fc.uint8Array({ maxLength: 40 }),
          keyID: fc.string({ unit: 'grapheme', maxLength: 20 }),
          encryptedDEKSource: fc.uint8Array({ maxLength: 40 }),
          annotations: fc.dictionary(annotationKey, fc.uint8Array({ maxLength: 10 }), { maxKeys: 4 }),
          encryptedDEKSourceType: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        }),
        (o) => {
          const back = decodeEncryptedObject(encodeEncryptedObject(o));
          assert.deepEqual({ ...back, annotations: { ...back.annotations } }, { ...o, annotations: { ...o.annotations } });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('EncryptedObject validation', () => {
  it('checks in upstream order: type, data, source, key ID, annotations', () => {
    const bad = obj({
      encryptedDEKSourceType: 2,
      encryptedData: new Uint8Array(0),
      encryptedDEKSource: new Uint8Array(0),
      keyID: '',
      annotations: { x: new Uint8Array(0) },
    });
    assert.equal(validationError(bad), 'unknown encryptedDEKSourceType: 2');
    assert.equal(validationError({ ...bad, encryptedDEKSourceType: 1 }), 'encrypted data is empty');
    assert.equal(
      validationError({ ...bad, encryptedDEKSourceType: 1, encryptedData: Uint8Array.of(1) }),
      'failed to validate encrypted DEK source: encrypted DEK source is empty',
    );
    assert.equal(validationError(obj({ keyID: '', annotations: { x: new Uint8Array(0) } })), 'failed to validate key id: keyID is empty');
    assert.equal(
      validationError(obj({ encryptedDEKSource: new Uint8Array(1025), keyID: 'k'.repeat(2000) })),
      'failed to validate encrypted DEK source: encrypted DEK source is 1025 bytes, which exceeds the max size of 1024',
    );
    // key ID limits count UTF-8 bytes
    assert.equal(validationError(obj({ keyID: 'é'.repeat(512) })), 'no error');
    assert.equal(
      validationError(obj({ keyID: 'é'.repeat(513) })),
      'failed to validate key id: keyID is 1026 bytes, which exceeds the max size of 1024',
    );
  });

  const SUBDOMAIN =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
  const annotationError = (key: string, value = new Uint8Array(0)): string => validationError(obj({ annotations: { [key]: value } }));

  it('annotation keys are FQDNs, with the apimachinery texts', () => {
    assert.equal(annotationError('a.example.com'), 'no error');
    assert.equal(annotationError('a.example.com.'), 'no error', 'one trailing dot is stripped');
    assert.equal(annotationError(''), 'failed to validate annotations: annotations: Required value');
    assert.equal(annotationError('Bad.example'), `failed to validate annotations: annotations: Invalid value: "Bad.example": ${SUBDOMAIN}`);
    assert.equal(
      annotationError('localhost.'),
      'failed to validate annotations: annotations: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
    );
    const long = `${'a'.repeat(250)}.com`;
    assert.equal(
      annotationError(long),
      `failed to validate annotations: annotations: Invalid value: "${long}": must be no more than 253 characters`,
    );
    const longAndBad = `${'a'.repeat(250)}.Com`;
    assert.equal(
      annotationError(longAndBad),
      `failed to validate annotations: annotations: Invalid value: "${longAndBad}": must be no more than 253 characters,${SUBDOMAIN}`,
    );
    assert.equal(
      annotationError('x\n.é'),
      `failed to validate annotations: annotations: Invalid value: "x\\n.é": ${SUBDOMAIN}`,
      'quoted as Go %q',
    );
  });

  it('aggregates the key errors and the total size, de-duplicated', () => {
    assert.equal(
      validationError(obj({ annotations: { 'a.': new Uint8Array(0), a: new Uint8Array(32767) } })),
      'failed to validate annotations: [annotations: Invalid value: "a": should be a domain with at least two segments separated by dots, total size of annotations is 32770, which exceeds the max size of 32768]',
    );
    assert.equal(validationError(obj({ annotations: { 'a.b': new Uint8Array(32765) } })), 'no error');
    assert.equal(
      validationError(obj({ annotations: { 'a.b': new Uint8Array(32766) } })),
      'failed to validate annotations: total size of annotations is 32769, which exceeds the max size of 32768',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// robustness: any bytes give a value or a K8sEncError, never another exception

describe('KMS envelopes on arbitrary bytes', () => {
  const backend = availableBackends()[0]!;
  const samples = KMS_VECTORS.filter((v) => v.id.startsWith('pos-') && v.plaintext !== undefined && b64(v.plaintext).length < 80);
  const byProvider = (name: string): TransformerVector[] => samples.filter((v) => v.provider === name);
  const mutate = (b: Uint8Array) =>
    fc.oneof(
      fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
        const c = Uint8Array.from(b);
        const j = i % Math.max(c.length, 1);
        if (c.length > 0) c[j] = c[j]! ^ x;
        return c;
      }),
      fc.nat().map((n) => b.subarray(0, n % (b.length + 1))),
      fc.uint8Array({ maxLength: 8 }).map((tail) => concatBytes(b, tail)),
      fc.uint8Array({ maxLength: 64 }),
    );

  for (const provider of ['kms-v1', 'kms-v2-dek', 'kms-v2-seed']) {
    it(`${provider}: mutated upstream values and random bodies`, async () => {
      const v = byProvider(provider)[5]!;
      const p = v.providers[0]!;
      const t = kmsTransformer(p, backend);
      const body = b64(v.stored).subarray(prefixOf(p).length);
      await fc.assert(
        fc.asyncProperty(mutate(body), fc.constantFrom(v.authenticatedData, ''), (b, ad) => valueOrK8sEncError(() => t.fromStorage(b, ad))),
        { numRuns: 250 },
      );
    });
  }

  it('decodeEncryptedObject: any bytes give an object or a K8sEncError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodeEncryptedObject(b);
        } catch (e) {
          return isK8sEncError(e);
        }
        return true;
      }),
      { numRuns: 2000 },
    );
  });
});
