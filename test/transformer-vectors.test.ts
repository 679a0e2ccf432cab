// Replays every transformer vector produced by the real apiserver code (docs/FORMATS.md#vector-files) on every backend.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { K8sEncError } from '../src/errors.ts';
import { toHex, utf8 } from '../src/bytes.ts';
import { availableBackends } from '../src/crypto/select.ts';
import type { BackendName } from '../src/crypto/backend.ts';
import { buildProviderChain } from '../src/config/provider-chain.ts';
import { identityTransformer } from '../src/transformers/identity.ts';
import { decodeEncryptedObject } from '../src/transformers/kms-v2-object.ts';
import type { RandomSource, Transformer } from '../src/transformers/types.ts';
import {
  BIG_VECTOR_FILE,
  VECTOR_DIR,
  b64,
  loadOptionalVectors,
  loadVectors,
  providerConfigs,
  vectorOptions,
  type TransformerVector,
  type VectorProvider,
} from './support/vectors.ts';

/** Line counts of the repository copies (vectors/README.md); a shorter file means a broken copy. */
const FILES = [
  { name: 'positive.jsonl', vectors: loadVectors(`${VECTOR_DIR}/positive.jsonl`), expected: 858 },
  { name: 'negative.jsonl', vectors: loadVectors(`${VECTOR_DIR}/negative.jsonl`), expected: 391 },
  { name: 'chains.jsonl', vectors: loadVectors(`${VECTOR_DIR}/chains.jsonl`), expected: 61 },
];
const bigVectors = loadOptionalVectors(BIG_VECTOR_FILE);

/** The one random draw per write of the keyed providers: the IV/nonce after the key prefix. */
const NONCE_SIZE: Record<string, number> = { aescbc: 16, aesgcm: 12, secretbox: 24 };
/** First DEK-mode KMS v2 nonce counter value (docs/FORMATS.md#kms-v2: starts at 1e9, incremented before use). */
const FIRST_KMS_V2_COUNTER = 1_000_000_001n;

function chainFor(v: TransformerVector, backend: BackendName, random?: RandomSource): Transformer {
  return v.mode === 'identity-default'
    ? identityTransformer
    : buildProviderChain(providerConfigs(v.providers), vectorOptions(v, backend, random));
}

function assertBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (Buffer.compare(actual, expected) !== 0) {
    assert.fail(
      `${what}: got ${actual.length} bytes ${toHex(actual.subarray(0, 48))}…, ` +
        `want ${expected.length} bytes ${toHex(expected.subarray(0, 48))}…`,
    );
  }
}

async function assertOutcome(v: TransformerVector, read: Promise<{ data: Uint8Array; stale: boolean }>): Promise<void> {
  if (v.expect === 'ok') {
    const r = await read;
    assertBytes(r.data, b64(v.plaintext), 'plaintext');
    assert.equal(r.stale, v.stale, 'stale');
    return;
  }
  await assert.rejects(read, (e: unknown) => {
    assert.ok(e instanceof K8sEncError, `expected a K8sEncError, got ${String(e)}`);
    if (v.expect === 'error') {
      const accepted = [v.error, ...(v.errorAlternatives ?? [])];
      assert.ok(accepted.includes(e.message), `message ${JSON.stringify(e.message)} ≠ ${JSON.stringify(v.error)}`);
    } else {
      assert.equal(e.code, 'ERR_UPSTREAM_PANIC');
      assert.equal(e.upstreamPanic, v.panic);
    }
    return true;
  });
}

function prefixOf(p: VectorProvider): string {
  if (p.type === 'identity') return '';
  if (p.type === 'kms') return `k8s:enc:kms:${p.apiVersion ?? 'v1'}:${p.name}:`;
  return `k8s:enc:${p.type}:v1:${p.keys?.[0]?.name}:`;
}

/** What a fresh write must look like, short of its random bytes (docs/FORMATS.md#vector-files, replay). */
async function checkWrite(v: TransformerVector, chain: Transformer, written: Uint8Array): Promise<void> {
  const writer = v.providers[0]!;
  const stored = b64(v.stored);
  const prefix = utf8(prefixOf(writer));
  assertBytes(written.subarray(0, prefix.length), prefix, 'write prefix');
  // Same provider, key, fake KMS and plaintext as upstream's write: only random bytes may differ.
  assert.equal(written.length, stored.length, 'written length = upstream stored length');
  if (writer.type === 'identity') assertBytes(written, stored, 'identity write');
  if (writer.type === 'kms' && writer.apiVersion === 'v2') {
    const state = writer.kmsv2State!;
    const obj = decodeEncryptedObject(written.subarray(prefix.length));
    assert.equal(obj.keyID, state.keyID);
    assert.equal(obj.encryptedDEKSourceType, state.encryptedDEKSourceType);
    assert.deepEqual(Object.keys(obj.annotations).sort(), Object.keys(state.annotations ?? {}).sort());
    if (state.encryptedDEKSourceType === 0) {
      assert.equal(Buffer.from(obj.encryptedData).readBigUInt64LE(4), FIRST_KMS_V2_COUNTER, 'first LE counter');
      const again = decodeEncryptedObject((await chain.toStorage(b64(v.plaintext), v.authenticatedData)).subarray(prefix.length));
      assert.equal(Buffer.from(again.encryptedData).readBigUInt64LE(4), FIRST_KMS_V2_COUNTER + 1n, 'counter +1 per write');
    }
  }
}

/** aescbc/aesgcm/secretbox draw exactly the IV/nonce: feeding upstream's back must give upstream's bytes. */
async function checkReproduction(v: TransformerVector, backend: BackendName): Promise<void> {
  const writer = v.providers[0]!;
  const size = NONCE_SIZE[writer.type];
  if (size === undefined) return;
  const stored = b64(v.stored);
  const at = utf8(prefixOf(writer)).length;
  const nonce = stored.slice(at, at + size);
  let draws = 0;
  const random: RandomSource = (n) => {
    draws++;
    assert.equal(n, size, 'random draw size');
    return nonce.slice();
  };
  const written = await chainFor(v, backend, random).toStorage(b64(v.plaintext), v.authenticatedData);
  assert.equal(draws, 1, 'one random draw per write');
  assertBytes(written, stored, 'write with upstream nonce');
}

async function replay(v: TransformerVector, backend: BackendName): Promise<void> {
  const chain = chainFor(v, backend);
  if (v.op === 'write') {
    await assertOutcome(
      v,
      chain.toStorage(b64(v.plaintext), v.authenticatedData).then((data) => ({ data, stale: false })),
    );
    return;
  }
  await assertOutcome(v, chain.fromStorage(b64(v.stored), v.authenticatedData));
  if (v.op === 'write+read') {
    const written = await chain.toStorage(b64(v.plaintext), v.authenticatedData);
    await checkWrite(v, chain, written);
    await assertOutcome(v, chain.fromStorage(written, v.authenticatedData));
    await checkReproduction(v, backend);
  }
}

for (const backend of availableBackends()) {
  for (const file of FILES) {
    describe(`${file.name} × ${backend.name}`, () => {
      let replayed = 0;
      for (const v of file.vectors) {
        const label = v.description === undefined ? v.category : `${v.category}: ${v.description}`;
        it(`${v.id} ${v.provider} ${label}`, async () => {
          await replay(v, backend.name);
          replayed++;
        });
      }
      it(`replayed all ${file.expected} vectors`, (t) => {
        t.diagnostic(`${file.name}: ${replayed} of ${file.vectors.length} vectors replayed on ${backend.name}`);
        assert.equal(file.vectors.length, file.expected);
        assert.equal(replayed, file.expected);
      });
    });
  }

  describe(`positive_1mib.jsonl × ${backend.name}`, () => {
    if (bigVectors === null) {
      it('1 MiB vectors', (t) => t.skip(`${BIG_VECTOR_FILE} not found (not copied into the repository: 30 MB)`));
      return;
    }
    for (const v of bigVectors) it(`${v.id} ${v.provider}`, () => replay(v, backend.name));
  });
}
