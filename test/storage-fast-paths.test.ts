/**
 * The decoder's fast paths (issue 5) give exactly what the decoder before them gave
 * (test/support/storage-decode-reference.ts), JSON text and so key order included: on every
 * Secret and ConfigMap fixture and on random ones. Base64, times and field sets against
 * independent references.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { toBase64, toBase64Portable, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { decodesCleanly } from '../src/storage/decodes.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { fieldsV1FromRaw, fieldsV1ToRaw } from '../src/storage/fields-v1.ts';
import { parseJson } from '../src/storage/json-parse.ts';
import { openEnvelope } from '../src/storage/envelope.ts';
import { TYPED_KINDS } from '../src/storage/schema.ts';
import { stringFromRawBytes } from '../src/storage/raw-string.ts';
import { formatTime, formatUnixSeconds } from '../src/storage/rfc3339.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { referenceDecodeTyped } from './support/storage-decode-reference.ts';

const FIXTURES = new URL('../vectors/k8s-api-testdata/', import.meta.url);
const RUNS = { numRuns: 200 };

/** Same outcome: the same JSON text, or the same error code and message (for Secret and ConfigMap envelopes). */
function assertSameDecoding(bytes: Uint8Array): void {
  try {
    const env = openEnvelope(bytes);
    if (!TYPED_KINDS.has(`${env.apiVersion}/${env.kind}`)) return;
  } catch {
    // An envelope error: both must report it alike.
  }
  const run = (f: (b: Uint8Array) => KubeObject) => {
    try {
      return { json: JSON.stringify(f(bytes), (_, v) => (typeof v === 'bigint' ? `${v}n` : v)) };
    } catch (e) {
      if (!(e instanceof K8sEncError)) throw e;
      return { code: e.code, message: e.message };
    }
  };
  assert.deepStrictEqual(run(decodeObject), run(referenceDecodeTyped));
}

/** Random Secrets and ConfigMaps as the apiserver stores them. */
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.uint8Array({ maxLength: 10 }).map(stringFromRawBytes));
const int64 = fc
  .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  .map((v) => (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v));
// Wide enough for years past 9999 and before 0000, which take the bigint path.
const time = fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(formatTime);
const dict = (v: fc.Arbitrary<string>) => fc.dictionary(text, v, { maxKeys: 5 });
const base64 = fc.uint8Array({ maxLength: 300 }).map(toBase64);
const metadata = fc.record(
  {
    name: text,
    namespace: text,
    generation: int64,
    creationTimestamp: time,
    deletionTimestamp: fc.option(time),
    deletionGracePeriodSeconds: int64,
    labels: dict(text),
    annotations: dict(text),
    ownerReferences: fc.array(fc.record({ apiVersion: text, kind: text, name: text, uid: text, controller: fc.boolean() }), {
      maxLength: 2,
    }),
    managedFields: fc.array(
      fc.record({
        manager: text,
        time: fc.option(time),
        fieldsType: text,
        fieldsV1: fc.dictionary(
          fc.string().map((s) => `f:${s}`),
          fc.constant({}),
        ),
      }),
      { maxLength: 2 },
    ),
  },
  { requiredKeys: [] },
);
const secret = fc.record(
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('Secret'),
    metadata,
    immutable: fc.boolean(),
    data: dict(base64),
    stringData: dict(text),
    type: text,
  },
  { requiredKeys: ['apiVersion', 'kind', 'metadata'] },
);
const configMap = fc.record(
  { apiVersion: fc.constant('v1'), kind: fc.constant('ConfigMap'), metadata, data: dict(text), binaryData: dict(base64) },
  { requiredKeys: ['apiVersion', 'kind', 'metadata'] },
);
const encoded = fc.oneof(secret, configMap).map((o) => encodeObject(o as KubeObject));

describe('decodeObject equals the reference decoder', () => {
  it('on every Secret and ConfigMap fixture of every version', () => {
    let n = 0;
    for (const version of readdirSync(FIXTURES).filter((v) => v !== 'COMMIT')) {
      for (const file of readdirSync(new URL(`${version}/`, FIXTURES))) {
        if (!/^core\.v1\.(Secret|ConfigMap)(\.after_roundtrip)?\.pb$/.test(file)) continue;
        assertSameDecoding(new Uint8Array(readFileSync(new URL(`${version}/${file}`, FIXTURES))));
        n++;
      }
    }
    assert.ok(n >= 46, `${n} fixtures`);
  });

  it('on random Secrets and ConfigMaps', () => {
    fc.assert(fc.property(encoded, assertSameDecoding), RUNS);
  });

  it('on random Secrets and ConfigMaps with bytes flipped or cut (errors included)', () => {
    fc.assert(
      fc.property(encoded, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (b, at, x, cut) => {
        const bytes = b.slice();
        const i = 4 + (at % (bytes.length - 4));
        if (cut) assertSameDecoding(bytes.subarray(0, i));
        else {
          bytes[i] = x;
          assertSameDecoding(bytes);
        }
      }),
      RUNS,
    );
  });
});

/** verify's check (decodesCleanly) says yes only where decodeObject decodes; its no sends the value to decodeObject. */
function assertCheckAgrees(bytes: Uint8Array, mustAccept = false): void {
  if (!decodesCleanly(bytes)) {
    assert.ok(!mustAccept, 'a well-formed Secret/ConfigMap should take the fast check');
    return;
  }
  assert.doesNotThrow(() => decodeObject(bytes));
}

describe('decodesCleanly (verify without building the object)', () => {
  it('accepts every Secret and ConfigMap fixture, and nothing decodeObject refuses among all fixtures', () => {
    let typed = 0;
    for (const version of readdirSync(FIXTURES).filter((v) => v !== 'COMMIT')) {
      for (const file of readdirSync(new URL(`${version}/`, FIXTURES)).filter((f) => f.endsWith('.pb'))) {
        const isTyped = /^core\.v1\.(Secret|ConfigMap)(\.after_roundtrip)?\.pb$/.test(file);
        assertCheckAgrees(new Uint8Array(readFileSync(new URL(`${version}/${file}`, FIXTURES))), isTyped);
        if (isTyped) typed++;
      }
    }
    assert.ok(typed >= 46, `${typed} fixtures`);
  });

  it('accepts random Secrets and ConfigMaps', () => {
    fc.assert(
      fc.property(encoded, (b) => assertCheckAgrees(b, true)),
      RUNS,
    );
  });

  it('accepts nothing decodeObject refuses: random Secrets and ConfigMaps with bytes flipped or cut, random bytes', () => {
    fc.assert(
      fc.property(encoded, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (b, at, x, cut) => {
        const bytes = b.slice();
        const i = 4 + (at % (bytes.length - 4));
        if (cut) assertCheckAgrees(bytes.subarray(0, i));
        else {
          bytes[i] = x;
          assertCheckAgrees(bytes);
        }
      }),
      { numRuns: 1000 },
    );
    const envelope = Uint8Array.of(0x6b, 0x38, 0x73, 0x00);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        assertCheckAgrees(tail);
        assertCheckAgrees(Uint8Array.from([...envelope, ...tail]));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fast paths against independent references', () => {
  it('toBase64 and its browser path are Node base64 (Go StdEncoding) at every length, views into bigger buffers too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(8), fc.nat(8), (whole, from, cut) => {
        const b = whole.subarray(Math.min(from, whole.length), Math.max(Math.min(from, whole.length), whole.length - cut));
        const want = Buffer.from(b).toString('base64');
        assert.equal(toBase64(b), want);
        assert.equal(toBase64Portable(b), want);
      }),
      RUNS,
    );
  });

  it('formatUnixSeconds is formatTime on bigints, across and beyond years 0000..9999', () => {
    const edges = [-62167219200, -62167219201, -62135596800, 0, 253402300799, 253402300800, -(2 ** 53) + 1, 2 ** 53 - 1];
    for (const s of edges) assert.equal(formatUnixSeconds(s), formatTime(BigInt(s)), String(s));
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 42), max: 2 ** 42 }), (s) => assert.equal(formatUnixSeconds(s), formatTime(BigInt(s)))),
      RUNS,
    );
  });

  it('field sets parse as parseJson parses them (numbers, -0, big integers, __proto__, deep nesting)', () => {
    const samples = [
      '{"f:a":{},"k:{\\"port\\":80}":{".":{}}}',
      '{"f:n":-0,"f:big":12345678901234567890,"f:x":1.5}',
      '{"__proto__":{"f:a":{}}}',
      '{"a":' + '['.repeat(950) + ']'.repeat(950) + '}',
      '[{"f:a":{}}]',
    ];
    for (const s of samples) {
      const got = fieldsV1FromRaw(utf8(s));
      assert.deepStrictEqual(got, parseJson(s), s.slice(0, 40));
      // An unchanged value is written back as the stored bytes.
      assert.deepStrictEqual(fieldsV1ToRaw(got, 'x'), utf8(s));
    }
    assert.deepStrictEqual(Object.keys(fieldsV1FromRaw(utf8('{"a":' + '['.repeat(1100) + ']'.repeat(1100) + '}')) as object), [
      '$k8sEncRawFieldsV1',
    ]);
  });
});
