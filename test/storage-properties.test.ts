/**
 * Property tests: random Secrets and ConfigMaps round-trip byte-identically; any bytes decode to an
 * object or fail with a K8sEncError, never another exception.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes, toBase64, toHex, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { parseJson } from '../src/storage/json-parse.ts';
import { toJson, toYaml } from '../src/storage/output.ts';
import { rawBytesFromString, stringFromRawBytes } from '../src/storage/raw-string.ts';
import { formatTime, parseTime, ZERO_TIME_SECONDS } from '../src/storage/rfc3339.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { parseFields } from './support/storage-wire.ts';

const RUNS = { numRuns: 150 };

/** Text as stored bytes may hold it: any Unicode (non-BMP too), or bytes that are not UTF-8. */
const text = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.uint8Array({ maxLength: 12 }).map(stringFromRawBytes),
);
const mapKey = fc.oneof(fc.stringMatching(/^\d{1,3}$/), text);
const dict = (value: fc.Arbitrary<string>) => fc.dictionary(mapKey, value, { maxKeys: 6 });
const base64 = fc.uint8Array({ maxLength: 24 }).map(toBase64);
const int64 = fc
  .bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })
  .map((v) => (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v));
const time = fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(formatTime);

const ownerReference = fc.record(
  { apiVersion: text, kind: text, name: text, uid: text, controller: fc.boolean(), blockOwnerDeletion: fc.boolean() },
  { requiredKeys: ['apiVersion', 'kind', 'name', 'uid'] },
);
const managedField = fc.record(
  {
    manager: text,
    operation: text,
    apiVersion: text,
    time: fc.option(time),
    fieldsType: text,
    fieldsV1: fc.dictionary(
      fc.string().map((s) => `f:${s}`),
      fc.constant({}),
    ),
    subresource: text,
  },
  { requiredKeys: [] },
);
const metadata = fc.record(
  {
    name: text,
    generateName: text,
    namespace: text,
    uid: text,
    resourceVersion: text,
    generation: int64,
    creationTimestamp: time,
    deletionTimestamp: fc.option(time),
    deletionGracePeriodSeconds: int64,
    labels: dict(text),
    annotations: dict(text),
    ownerReferences: fc.array(ownerReference, { maxLength: 2 }),
    finalizers: fc.array(text, { maxLength: 3 }),
    managedFields: fc.array(managedField, { maxLength: 2 }),
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
  {
    apiVersion: fc.constant('v1'),
    kind: fc.constant('ConfigMap'),
    metadata,
    immutable: fc.boolean(),
    data: dict(text),
    binaryData: dict(base64),
  },
  { requiredKeys: ['apiVersion', 'kind', 'metadata'] },
);
const object = fc.oneof(secret, configMap) as fc.Arbitrary<KubeObject>;

function expectDecodeOrK8sEncError(bytes: Uint8Array): void {
  try {
    const obj = decodeObject(bytes);
    // Whatever decodes must also print.
    toJson(obj);
    toYaml(obj);
  } catch (e) {
    if (!(e instanceof K8sEncError)) throw e;
  }
}

describe('Secret and ConfigMap round-trips', () => {
  it('encode → decode → encode is byte-identical and decode is stable', () => {
    fc.assert(
      fc.property(object, (obj) => {
        const first = encodeObject(obj);
        const decoded = decodeObject(first);
        const second = encodeObject(decoded);
        assert.equal(toHex(second), toHex(first));
        assert.deepStrictEqual(decodeObject(second), decoded);
      }),
      RUNS,
    );
  });

  it('a leading byte-order mark is data: kept by decode and re-encode (fast-check found it stripped)', () => {
    for (const rv of ['\uFEFF', '\uFEFFa', 'a\uFEFF']) {
      const data = { '\uFEFFk': '\uFEFF' };
      const first = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { resourceVersion: rv }, data });
      const decoded = decodeObject(first);
      assert.equal(decoded.metadata?.resourceVersion, rv);
      assert.deepStrictEqual((decoded as { data?: unknown }).data, data);
      assert.equal(toHex(encodeObject(decoded)), toHex(first));
    }
  });

  it('map entries are written in raw UTF-8 byte order with the exact key and value bytes', () => {
    fc.assert(
      fc.property(dict(text), (labels) => {
        const bytes = encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: labels });
        const raw = parseFields(bytes.subarray(4)).find((f) => f.field === 2)!.value as Uint8Array;
        const entries = parseFields(raw)
          .filter((f) => f.field === 2)
          .map((f) => parseFields(f.value as Uint8Array));
        const keys = entries.map((e) => e.find((f) => f.field === 1)!.value as Uint8Array);
        const expectedKeys = Object.keys(labels).map(rawBytesFromString).sort(compareBytes);
        assert.deepStrictEqual(keys.map(toHex), expectedKeys.map(toHex));
        for (const e of entries) {
          const key = stringFromRawBytes(e.find((f) => f.field === 1)!.value as Uint8Array);
          assert.equal(toHex(e.find((f) => f.field === 2)!.value as Uint8Array), toHex(rawBytesFromString(labels[key]!)));
        }
      }),
      RUNS,
    );
  });
});

describe('hostile input', () => {
  it('random bytes, with or without the k8s\\x00 magic or a {, give an object or a K8sEncError', () => {
    const payload = fc.uint8Array({ maxLength: 200 });
    fc.assert(
      fc.property(fc.constantFrom([], [0x6b, 0x38, 0x73, 0x00], [0x7b]), payload, (prefix, rest) => {
        expectDecodeOrK8sEncError(Uint8Array.from([...prefix, ...rest]));
      }),
      { numRuns: 500 },
    );
  });

  it('truncated and bit-flipped encodings give an object or a K8sEncError', () => {
    fc.assert(
      fc.property(object, fc.nat(), fc.nat(), (obj, cut, flip) => {
        const bytes = encodeObject(obj);
        expectDecodeOrK8sEncError(bytes.subarray(0, cut % (bytes.length + 1)));
        const flipped = bytes.slice();
        flipped[flip % bytes.length]! ^= 1 << (flip % 8);
        expectDecodeOrK8sEncError(flipped);
      }),
      RUNS,
    );
  });

  it('cutting a real Secret anywhere inside its object fails with a K8sEncError', () => {
    const bytes = encodeObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', labels: { a: 'b' } }, data: { k: 'AQI=' } });
    // magic (4) + typeMeta (2 + 12); then raw's tag and one-byte length, then its bytes.
    const rawStart = 4 + 14;
    const rawEnd = rawStart + 2 + bytes[rawStart + 1]!;
    for (let n = rawStart + 1; n < rawEnd; n++) {
      assert.throws(
        () => decodeObject(bytes.subarray(0, n)),
        (e: unknown) => e instanceof K8sEncError && e.code === 'ERR_PROTOBUF',
        `prefix of ${n} bytes`,
      );
    }
  });
});

describe('building blocks', () => {
  it('stored bytes → string → bytes is the identity, and valid UTF-8 stays plain text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        assert.equal(toHex(rawBytesFromString(stringFromRawBytes(b))), toHex(b));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        assert.equal(stringFromRawBytes(utf8(s)), s);
      }),
    );
  });

  it('every int64 second count formats as RFC 3339 and parses back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (s) => {
        const t = formatTime(s);
        if (s === ZERO_TIME_SECONDS) assert.equal(t, null);
        else assert.deepStrictEqual(parseTime(t!), { seconds: s, nanos: 0 });
      }),
      { numRuns: 1000 },
    );
  });

  it('parseJson agrees with JSON.parse, except that integers beyond 2^53 stay exact bigints', () => {
    const rounded = (v: unknown): unknown =>
      typeof v === 'bigint'
        ? Number(v)
        : Array.isArray(v)
          ? v.map(rounded)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)]))
            : v;
    fc.assert(
      fc.property(fc.json(), (text) => {
        assert.deepStrictEqual(
          rounded(parseJson(text)),
          JSON.parse(text, (_k, v) => (Object.is(v, -0) ? 0 : v)),
        );
      }),
      RUNS,
    );
    assert.deepStrictEqual(parseJson('{"a":[-9223372036854775808, 9007199254740993, 1.5e3]}'), {
      a: [-9223372036854775808n, 9007199254740993n, 1500],
    });
  });
});
