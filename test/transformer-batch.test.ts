// fromStorageMany against one-at-a-time fromStorage: every vector, every backend, and random mixes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, toHex, utf8 } from '../src/bytes.ts';
import type { BackendName } from '../src/crypto/backend.ts';
import { availableBackends } from '../src/crypto/select.ts';
import type { ProviderConfig } from '../src/config/types.ts';
import { K8sEncError } from '../src/errors.ts';
import { fromStorageEach, fromStorageMany, type ReadOutcome } from '../src/transformers/batch.ts';
import { buildProviderChain } from '../src/config/provider-chain.ts';
import { identityTransformer } from '../src/transformers/identity.ts';
import type { ReadItem, Transformer } from '../src/transformers/types.ts';
import { VECTOR_DIR, b64, loadVectors, providerConfigs, vectorOptions, type TransformerVector } from './support/vectors.ts';

const VECTORS = ['positive', 'negative', 'chains'].flatMap((f) => loadVectors(`${VECTOR_DIR}/${f}.jsonl`));

/** Vectors that read a stored value, grouped by the chain they read it with. */
function groupsOf(vectors: TransformerVector[]): TransformerVector[][] {
  const groups = new Map<string, TransformerVector[]>();
  for (const v of vectors) {
    if (v.stored === undefined) continue;
    const id = `${v.mode} ${JSON.stringify(v.providers)}`;
    groups.set(id, [...(groups.get(id) ?? []), v]);
  }
  return [...groups.values()];
}

function chainFor(v: TransformerVector, backend: BackendName): Transformer {
  return v.mode === 'identity-default' ? identityTransformer : buildProviderChain(providerConfigs(v.providers), vectorOptions(v, backend));
}

/** Everything a caller can see of an outcome, errors' context and aggregated parts included. */
function view(o: ReadOutcome): unknown {
  if (!(o instanceof K8sEncError)) return { data: toHex(o.data), stale: o.stale };
  return {
    code: o.code,
    message: o.message,
    provider: o.provider,
    upstreamPanic: o.upstreamPanic,
    errors: o.errors?.map(view),
  };
}

async function assertSameAsSingle(batchChain: Transformer, singleChain: Transformer, items: ReadItem[]): Promise<ReadOutcome[]> {
  const batch = await fromStorageMany(batchChain, items);
  const single = await fromStorageEach(singleChain, items);
  assert.equal(batch.length, items.length);
  assert.deepEqual(batch.map(view), single.map(view));
  return batch;
}

const GROUPS = groupsOf(VECTORS);

for (const backend of availableBackends()) {
  describe(`fromStorageMany = fromStorage, every vector × ${backend.name}`, () => {
    let compared = 0;
    for (const group of GROUPS) {
      const first = group[0]!;
      it(`${first.provider}: ${group.length} vectors from ${first.id}`, async () => {
        // Twice each value, the second copy moved to the back, so a batch holds repeats as scans do.
        const vs = [...group, ...group];
        const items = vs.map((v) => ({ stored: b64(v.stored), authenticatedData: v.authenticatedData }));
        const batch = await assertSameAsSingle(chainFor(first, backend.name), chainFor(first, backend.name), items);
        // And against the ground truth itself, so "same as single" cannot hide a shared mistake.
        batch.forEach((o, i) => {
          const v = vs[i]!;
          if (v.expect === 'ok') {
            assert.ok(!(o instanceof K8sEncError), `${v.id}: ${o instanceof K8sEncError ? o.message : ''}`);
            assert.equal(toHex(o.data), toHex(b64(v.plaintext)), v.id);
            assert.equal(o.stale, v.stale, `${v.id} stale`);
          } else {
            assert.ok(o instanceof K8sEncError, `${v.id} should fail`);
            if (v.expect === 'panic') assert.equal(o.upstreamPanic, v.panic, v.id);
            else assert.ok([v.error, ...(v.errorAlternatives ?? [])].includes(o.message), `${v.id}: ${o.message}`);
          }
        });
        compared += group.length;
      });
    }
    it('compared every vector that reads a value', () => {
      assert.equal(compared, VECTORS.filter((v) => v.stored !== undefined).length);
      assert.equal(compared, 1309);
    });
  });
}

describe('fromStorageMany', () => {
  it('propagates exceptions that are not K8sEncErrors, as the single call does', async () => {
    const broken: Transformer = {
      fromStorage: async () => {
        throw new TypeError('boom');
      },
      toStorage: async (d) => d,
    };
    const chain = buildProviderChain([{ type: 'identity' }]);
    const items = [{ stored: utf8('x'), authenticatedData: 'k' }];
    await assert.rejects(fromStorageMany(broken, items), TypeError);
    assert.deepEqual(await fromStorageMany(chain, []), []);
  });
});

// Random mixes: multi-provider chains (with and without identity, rotated keys), values written by
// any of their keys or by keys they do not have, then mutated, truncated, re-prefixed or replaced.
const KEY16 = fc.uint8Array({ minLength: 16, maxLength: 16 });
const KEY32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const keyed = (type: 'aescbc' | 'aesgcm' | 'secretbox') =>
  fc
    .uniqueArray(fc.constantFrom('k1', 'k2', 'k3'), { minLength: 1, maxLength: 3 })
    .chain((names) =>
      fc
        .tuple(...names.map(() => (type === 'secretbox' ? KEY32 : fc.oneof(KEY16, KEY32))))
        .map((secrets): ProviderConfig => ({ type, keys: names.map((name, i) => ({ name, secret: secrets[i]! })) })),
    );
const providerArb = fc.oneof(keyed('aescbc'), keyed('aesgcm'), keyed('secretbox'), fc.constant<ProviderConfig>({ type: 'identity' }));

type Mutation = { kind: 'none' } | { kind: 'flip'; at: number } | { kind: 'cut'; at: number } | { kind: 'garbage'; bytes: Uint8Array };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Mutation>({ kind: 'none' }) },
  fc.nat().map((at): Mutation => ({ kind: 'flip', at })),
  fc.nat().map((at): Mutation => ({ kind: 'cut', at })),
  fc
    .tuple(
      fc.constantFrom('', 'k8s:enc:aescbc:v1:k1:', 'k8s:enc:aesgcm:v1:k2:', 'k8s:enc:secretbox:v1:k3:', 'k8s:enc:'),
      fc.uint8Array({ maxLength: 80 }),
    )
    .map(([p, b]): Mutation => ({ kind: 'garbage', bytes: concatBytes(utf8(p), b) })),
);

function mutate(v: Uint8Array, m: Mutation): Uint8Array {
  switch (m.kind) {
    case 'none':
      return v;
    case 'flip': {
      const out = v.slice();
      if (out.length > 0) out[m.at % out.length]! ^= 1 << (m.at % 8);
      return out;
    }
    case 'cut':
      return v.subarray(0, m.at % (v.length + 1));
    case 'garbage':
      return m.bytes;
  }
}

const valueArb = fc.record({
  writer: fc.nat(),
  plaintext: fc.uint8Array({ maxLength: 300 }),
  ad: fc.constantFrom('/registry/secrets/a/b', '/registry/secrets/c/d', ''),
  readAd: fc.boolean(),
  mutation: mutationArb,
});

for (const backend of availableBackends()) {
  it(`fast-check: random values through random chains, batch = single (${backend.name})`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(providerArb, { minLength: 1, maxLength: 4 }),
        fc.array(providerArb, { minLength: 1, maxLength: 3 }),
        fc.array(valueArb, { minLength: 1, maxLength: 40 }),
        async (readers, others, values) => {
          // Writers: the reading chain rotated (stale reads), and chains with keys it lacks.
          const options = { backend: backend.name };
          const writers = [readers, [...readers].reverse(), others].map((ps) => buildProviderChain(ps, options));
          const items: ReadItem[] = [];
          for (const v of values) {
            const written = await writers[v.writer % writers.length]!.toStorage(v.plaintext, v.ad);
            items.push({ stored: mutate(written, v.mutation), authenticatedData: v.readAd ? v.ad : '/registry/secrets/other/x' });
          }
          await assertSameAsSingle(buildProviderChain(readers, options), buildProviderChain(readers, options), items);
        },
      ),
      { numRuns: 60 },
    );
  });
}
