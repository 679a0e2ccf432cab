/**
 * The encoder rules of docs/FORMATS.md#protobuf-encoding and the error contract, each against bytes written out by hand
 * from the spec, plus kubectl's printing rules for the cases the fixtures do not reach.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { forRestore, toJson, toYaml } from '../src/storage/output.ts';
import type { KubeObject } from '../src/storage/types.ts';

const hex = (s: string) => s.replace(/\s+/g, '');
const ascii = (s: string) => toHex(utf8(s));
const EMPTY_META = '0a00 1200 1a00 2200 2a00 3200 3800 4200'; // ObjectMeta 1–6, generation, creationTimestamp

/** `k8s\x00` + Unknown{typeMeta, raw, "", ""} around a raw object given in hex. */
function envelope(kind: string, rawHex: string): string {
  const raw = fromHex(hex(rawHex));
  const typeMeta = `0a02${ascii('v1')}12${kind.length.toString(16).padStart(2, '0')}${ascii(kind)}`;
  return hex(
    `6b387300 0a${(typeMeta.length / 2).toString(16).padStart(2, '0')}${typeMeta} 12${raw.length.toString(16).padStart(2, '0')}${toHex(raw)} 1a00 2200`,
  );
}

const secret = (fields: Partial<KubeObject> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: {}, ...fields });
const enc = (obj: KubeObject) => toHex(encodeObject(obj));

function expectError(code: string, fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof K8sEncError, `a K8sEncError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('encoder rules (docs/FORMATS.md#protobuf-encoding)', () => {
  it('an empty Secret writes every non-pointer scalar and message', () => {
    assert.equal(enc(secret()), envelope('Secret', `0a10 ${EMPTY_META} 1a00`));
  });

  it('immutable=false is written: 28 00 in a Secret, 20 00 in a ConfigMap', () => {
    assert.equal(enc(secret({ immutable: false })), envelope('Secret', `0a10 ${EMPTY_META} 1a00 2800`));
    assert.equal(
      enc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, immutable: false }),
      envelope('ConfigMap', `0a10 ${EMPTY_META} 2000`),
    );
  });

  it('the epoch is 42 04 08 00 10 00; null and the zero time are 42 00', () => {
    const meta = (t: string | null) => secret({ metadata: { creationTimestamp: t } });
    assert.equal(enc(meta('1970-01-01T00:00:00Z')), envelope('Secret', `0a14 0a00 1200 1a00 2200 2a00 3200 3800 4204 0800 1000 1a00`));
    assert.equal(enc(meta(null)), enc(secret()));
    assert.equal(enc(meta('0001-01-01T00:00:00Z')), enc(secret()));
    assert.equal(decodeObject(fromHex(enc(meta('1970-01-01T00:00:00Z')))).metadata.creationTimestamp, '1970-01-01T00:00:00Z');
  });

  it('int64 -1 is ten bytes, and values beyond 2^53 round-trip as bigints', () => {
    const bytes = enc(secret({ metadata: { deletionGracePeriodSeconds: -1 } }));
    assert.ok(bytes.includes(hex('4200 50ffffffffffffffffff01')));
    const big = decodeObject(encodeObject(secret({ metadata: { generation: 9223372036854775807n } })));
    assert.equal(big.metadata.generation, 9223372036854775807n);
    assert.match(toJson(big), /"generation": 9223372036854775807\n/);
  });

  it('map entries are ordered by UTF-8 bytes: "10" < "24" < "7" < "9" < "B" < "b", U+FFFF before U+1F600', () => {
    const data = { b: '', '9': '', B: '', '7': '', '24': '', '10': '' };
    const entries = ['10', '24', '7', '9', 'B', 'b']
      .map((k) => `12${(4 + k.length).toString(16).padStart(2, '0')} 0a0${k.length}${ascii(k)} 1200`)
      .join(' ');
    assert.equal(enc({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data }), envelope('ConfigMap', `0a10 ${EMPTY_META} ${entries}`));
    const nonBmp = toHex(encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { '\u{1f600}': 'x', '\uffff': 'y' } }));
    assert.ok(nonBmp.indexOf(toHex(utf8('\uffff'))) < nonBmp.indexOf(toHex(utf8('\u{1f600}'))));
  });

  it('strings that are not UTF-8 survive decode → encode byte for byte and print as U+FFFD', () => {
    const name = 'ff 61 c3'; // invalid byte, "a", truncated sequence
    const stored = fromHex(envelope('Secret', `0a13 0a03${hex(name)} 1200 1a00 2200 2a00 3200 3800 4200 1a00`));
    const obj = decodeObject(stored);
    assert.equal(obj.metadata.name, '\udcffa\udcc3');
    assert.equal(toHex(encodeObject(obj)), toHex(stored));
    assert.ok(toJson(obj).includes('"name": "\\ufffda\\ufffd"'));
  });

  it('unknown and removed fields are dropped on decode (clusterName 7a 00)', () => {
    const stored = fromHex(envelope('Secret', `0a12 ${EMPTY_META} 7a00 1a00 a80601`));
    assert.equal(toHex(encodeObject(decodeObject(stored))), enc(secret()));
  });

  it('fieldsV1 keeps its stored bytes unless the value changes', () => {
    const raw = '{"f:data": {}}'; // 14 bytes, with a space the apiserver's compact form would not have
    const len = (h: string) => (hex(h).length / 2).toString(16).padStart(2, '0');
    const entry = `0a00 1200 1a00 3200 3a10 0a0e${ascii(raw)} 4200`;
    const metaHex = `${EMPTY_META} 8a01${len(entry)} ${entry}`;
    const stored = fromHex(envelope('Secret', `0a${len(metaHex)} ${metaHex} 1a00`));
    const obj = decodeObject(stored);
    assert.deepStrictEqual(obj.metadata.managedFields, [{ fieldsV1: { 'f:data': {} } }]);
    assert.equal(toHex(encodeObject(obj)), toHex(stored));
    (obj.metadata.managedFields![0]!.fieldsV1 as Record<string, unknown>)['f:type'] = {};
    assert.ok(toHex(encodeObject(obj)).includes(ascii('{"f:data":{},"f:type":{}}')));
  });
});

describe('errors', () => {
  it('ERR_ENVELOPE for empty, foreign and still-encrypted data', () => {
    expectError('ERR_ENVELOPE', () => decodeObject(new Uint8Array(0)), /^empty data$/);
    expectError('ERR_ENVELOPE', () => decodeObject(fromHex('6b387300')), /^empty body$/);
    expectError('ERR_ENVELOPE', () => decodeObject(utf8('hello')), /expected prefix \[107 56 115 0\].*found 68656c6c6f/);
    expectError(
      'ERR_ENVELOPE',
      () => decodeObject(utf8('k8s:enc:aescbc:v1:key1:xxxxxxxx')),
      /still encrypted \(starts with "k8s:enc:aescbc:v1:"\)/,
    );
    expectError('ERR_ENVELOPE', () => decodeObject(utf8('{"kind":"Foo"')), /invalid JSON/);
    expectError('ERR_ENVELOPE', () => decodeObject(utf8('{"apiVersion":"v1"}')), /^Object 'Kind' is missing in/);
  });

  it('ERR_PROTOBUF names the message and field', () => {
    expectError(
      'ERR_PROTOBUF',
      () => decodeObject(fromHex(envelope('Secret', '0a02 0a05'))),
      /^proto: Secret\.metadata: name: unexpected EOF$/,
    );
    expectError(
      'ERR_PROTOBUF',
      () => decodeObject(fromHex(envelope('Secret', '1801'))),
      /^proto: Secret: wrong wireType = 0 for field type$/,
    );
    expectError('ERR_PROTOBUF', () => decodeObject(fromHex(envelope('Secret', '0a01 07'))), /^proto: Secret\.metadata: illegal tag 0/);
  });

  it('ERR_OBJECT for unsupported kinds and wrong shapes', () => {
    expectError('ERR_OBJECT', () => encodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: {} }), /Secret and ConfigMap only/);
    expectError('ERR_OBJECT', () => encodeObject(secret({ data: { k: 'not base64!' } })), /^Secret\.data\["k"\]: illegal base64 data$/);
    expectError(
      'ERR_OBJECT',
      () => encodeObject(secret({ metadata: { name: 5 as unknown as string } })),
      /^Secret\.metadata\.name: expected a string/,
    );
    expectError('ERR_OBJECT', () => encodeObject(secret({ metadata: { generation: 2 ** 60 } })), /expected an integer/);
    expectError('ERR_OBJECT', () => encodeObject(secret({ metadata: { creationTimestamp: 'yesterday' } })), /RFC 3339/);
  });
});

describe('JSON-stored objects', () => {
  it('decode with exact integers and print them exactly', () => {
    const obj = decodeObject(
      utf8('{"apiVersion":"example.com/v1","kind":"Foo","metadata":{"name":"x"},"spec":{"n":12345678901234567890,"f":0.5}}'),
    );
    assert.deepStrictEqual(obj, {
      apiVersion: 'example.com/v1',
      kind: 'Foo',
      metadata: { name: 'x' },
      spec: { n: 12345678901234567890n, f: 0.5 },
    });
    assert.ok(toJson(obj).includes('"n": 12345678901234567890'));
  });
});

describe('kubectl-style output', () => {
  const mysecret: KubeObject = {
    kind: 'Secret',
    apiVersion: 'v1',
    metadata: {
      name: 'mysecret',
      namespace: 'default',
      uid: 'u-1',
      resourceVersion: '7',
      creationTimestamp: '2017-11-28T12:12:10Z',
      annotations: { note: '<a & b>' },
    },
    data: { password: 'aWxvdmVqYXBhbgo=' },
    type: 'Opaque',
  };

  it('toJson: keys sorted, 4-space indentation, Go HTML-safe escapes', () => {
    assert.equal(
      toJson(mysecret),
      `{
    "apiVersion": "v1",
    "data": {
        "password": "aWxvdmVqYXBhbgo="
    },
    "kind": "Secret",
    "metadata": {
        "annotations": {
            "note": "\\u003ca \\u0026 b\\u003e"
        },
        "creationTimestamp": "2017-11-28T12:12:10Z",
        "name": "mysecret",
        "namespace": "default",
        "resourceVersion": "7",
        "uid": "u-1"
    },
    "type": "Opaque"
}
`,
    );
  });

  it('toYaml: go-yaml v2 quoting, natural key order, literal blocks and folding', () => {
    const values: Record<string, string> = {
      a1: 'yes',
      a2: 'on',
      a3: '1.5',
      a4: '0x1F',
      a5: '2008-01-01',
      a6: 'a: b',
      a7: '- x',
      a8: '#x',
      a9: ' lead',
      a10: 'tab\there',
      a11: 'smile \u{1f600}',
      a12: 'line1\nline2',
      a13: 'line1\nline2\n',
      a14: '',
      a15: 'plain text',
      a16: '~',
      a17: "it's",
    };
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: values };
    assert.equal(
      toYaml(obj),
      `apiVersion: v1
data:
  a1: "yes"
  a2: "on"
  a3: "1.5"
  a4: "0x1F"
  a5: "2008-01-01"
  a6: 'a: b'
  a7: '- x'
  a8: '#x'
  a9: ' lead'
  a10: "tab\\there"
  a11: "smile \\U0001F600"
  a12: |-
    line1
    line2
  a13: |
    line1
    line2
  a14: ""
  a15: plain text
  a16: "~"
  a17: it's
kind: ConfigMap
metadata: {}
`,
    );
    const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' ');
    const folded = toYaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { k: long } });
    const lines = folded.split('\n').filter((l) => l.includes('word'));
    assert.ok(lines.length > 1, 'folded onto several lines');
    assert.equal(lines.map((l) => l.trim()).join(' '), `k: ${long}`);
    for (const l of lines.slice(1)) assert.ok(l.startsWith('    word'), 'continuation indented under the key');
  });

  it('forRestore drops server-set metadata and leaves the input alone', () => {
    const restored = forRestore({ ...mysecret, metadata: { ...mysecret.metadata, generation: 3, selfLink: '/x', managedFields: [] } });
    assert.deepStrictEqual(restored.metadata, { name: 'mysecret', namespace: 'default', annotations: { note: '<a & b>' } });
    assert.equal(mysecret.metadata.uid, 'u-1');
    assert.equal(restored['data'] !== mysecret['data'], true);
  });
});
