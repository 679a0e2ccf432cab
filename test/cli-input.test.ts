import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { fromUtf8, toBase64, toHex, utf8 } from '../src/bytes.ts';
import { K8sEncError } from '../src/errors.ts';
import { parseValueInput } from '../src/value/input.ts';
import { parseValuePrefix } from '../src/value/prefix.ts';

const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
const KEY = '/registry/secrets/default/mysecret';
const aescbcFile = new Uint8Array(readFileSync(`${CAPTURED}/etcdctl-get-aescbc.bin`));
const identityFile = new Uint8Array(readFileSync(`${CAPTURED}/etcdctl-get-identity.bin`));

// docs/FORMATS.md#the-captured-18-secret: the value is 183 bytes, the key line and exactly one trailing newline are etcdctl's.
const aescbcValue = aescbcFile.subarray(KEY.length + 1, aescbcFile.length - 1);
const identityValue = identityFile.subarray(KEY.length + 1, identityFile.length - 1);

test('captured etcdctl get output: key line + value + one newline', () => {
  for (const [file, len, start] of [
    [aescbcFile, 183, 'k8s:enc:aescbc:v1:key1:'],
    [identityFile, 136, 'k8s\x00'],
  ] as const) {
    const r = parseValueInput(file);
    assert.equal(r.format, 'etcdctl');
    assert.equal(fromUtf8(r.key!), KEY);
    assert.equal(r.value.length, len);
    assert.equal(fromUtf8(r.value.subarray(0, start.length)), start);
    assert.deepEqual(parseValueInput(file, 'etcdctl'), r);
  }
});

test('raw, hex and base64 forms of the captured value are detected', () => {
  assert.deepEqual(parseValueInput(aescbcValue), { value: aescbcValue, format: 'raw' });
  assert.deepEqual(parseValueInput(identityValue), { value: identityValue, format: 'raw' });
  assert.deepEqual(parseValueInput(utf8(toHex(aescbcValue) + '\n')), { value: aescbcValue, format: 'hex' });
  assert.deepEqual(parseValueInput(utf8(toBase64(aescbcValue) + '\n')), { value: aescbcValue, format: 'base64' });
  // The 1.8 capture (docs/FORMATS.md#the-captured-18-secret) is often pasted as hex in lines; whitespace between them is allowed.
  const lines = toHex(aescbcValue)
    .match(/.{1,64}/g)!
    .join('\n');
  assert.deepEqual(parseValueInput(utf8(lines)).value, aescbcValue);
});

test('etcdctl -w json output carries key and value in base64', () => {
  const doc = { header: { revision: 5 }, kvs: [{ key: toBase64(utf8(KEY)), value: toBase64(aescbcValue), mod_revision: 5 }], count: 1 };
  const r = parseValueInput(utf8(JSON.stringify(doc)));
  assert.equal(r.format, 'etcdctl-json');
  assert.equal(fromUtf8(r.key!), KEY);
  assert.deepEqual(r.value, aescbcValue);
  const two = { kvs: [doc.kvs[0], doc.kvs[0]] };
  assert.throws(
    () => parseValueInput(utf8(JSON.stringify(two))),
    (e: K8sEncError) => e.code === 'ERR_INPUT',
  );
});

test('a JSON-stored object (CRDs) stays a raw value', () => {
  const json = utf8('{"apiVersion":"awesome.bears.com/v1","kind":"Panda","metadata":{"name":"p"}}\n');
  assert.deepEqual(parseValueInput(json), { value: json, format: 'raw' });
});

test('explicit formats override detection and fail clearly', () => {
  const hexText = utf8('abcd');
  assert.deepEqual(parseValueInput(hexText).value, Uint8Array.from([0xab, 0xcd]));
  assert.deepEqual(parseValueInput(hexText, 'base64').value, Uint8Array.from([0x69, 0xb7, 0x1d]));
  assert.deepEqual(parseValueInput(hexText, 'raw').value, hexText);
  for (const [input, fmt] of [
    ['zz', 'hex'],
    ['abc', 'base64'],
    ['k8s:enc:aescbc:v1:key1:xx', 'etcdctl'],
  ] as const) {
    assert.throws(
      () => parseValueInput(utf8(input), fmt),
      (e: K8sEncError) => e.code === 'ERR_INPUT',
      `${fmt} ${input}`,
    );
  }
});

test('property: any bytes give a value or a K8sEncError, never another exception', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('auto', 'raw', 'etcdctl', 'base64', 'hex'), (b, fmt) => {
      try {
        const r = parseValueInput(b, fmt as 'auto');
        assert.ok(r.value instanceof Uint8Array);
      } catch (e) {
        assert.ok(e instanceof K8sEncError, String(e));
      }
    }),
    { numRuns: 500 },
  );
});

test('property: hex and base64 of any value starting with k8s round-trip through auto', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (tail) => {
      const v = Uint8Array.from([...utf8('k8s:enc:'), ...tail]);
      assert.deepEqual(parseValueInput(utf8(toHex(v))).value, v);
      assert.deepEqual(parseValueInput(utf8(toBase64(v))).value, v);
    }),
    { numRuns: 200 },
  );
});

test('value prefixes: provider and key name without any key', () => {
  const p = parseValuePrefix(aescbcValue);
  assert.equal(p.kind, 'keyed');
  assert.ok(p.kind === 'keyed');
  assert.equal(p.provider, 'aescbc');
  assert.equal(p.keyName, 'key1');
  assert.equal(p.body.length, 183 - 'k8s:enc:aescbc:v1:key1:'.length);
  assert.deepEqual(parseValuePrefix(identityValue), { kind: 'plaintext', encoding: 'protobuf' });
  assert.deepEqual(parseValuePrefix(utf8('{"a":1}')), { kind: 'plaintext', encoding: 'json' });
  assert.deepEqual(
    parseValuePrefix(utf8('k8s:enc')),
    { kind: 'plaintext', encoding: 'opaque' },
    'k8s:enc is plaintext (docs/FORMATS.md#values-in-etcd)',
  );
  assert.deepEqual(parseValuePrefix(utf8('k8s:enc:aescbc:v2:key1:abc')), { kind: 'unknown', prefix: 'k8s:enc:aescbc:v2:key1:abc' });
});

test('value prefixes: key names with ":" come from the configuration, longest fitting first', () => {
  // docs/FORMATS.md#identity-and-overlapping-prefixes: keys [a, a:b]; a value under a:b: also starts with a:.
  const body = new Uint8Array(32);
  const v = Uint8Array.from([...utf8('k8s:enc:aescbc:v1:a:b:'), ...body]);
  const named = parseValuePrefix(v, (prov) => (prov === 'aescbc' ? ['a', 'a:b'] : []));
  assert.ok(named.kind === 'keyed' && named.keyName === 'a:b' && !named.guessed && named.body.length === 32);
  // Without configuration the split follows the body's shape: "b:"+32 bytes is not a CBC body, 32 bytes is.
  const guessed = parseValuePrefix(v);
  assert.ok(guessed.kind === 'keyed' && guessed.keyName === 'a:b' && guessed.guessed);
  const kms = parseValuePrefix(Uint8Array.from([...utf8('k8s:enc:kms:v1:my:kms:'), 0, 2, 9, 9, 1, 2, 3]));
  assert.ok(kms.kind === 'kms' && kms.apiVersion === 'v1' && kms.name === 'my:kms' && kms.body.length === 7);
  const v2 = parseValuePrefix(Uint8Array.from([...utf8('k8s:enc:kms:v2:k2:'), 0x0a, 1, 0x3a]));
  assert.ok(v2.kind === 'kms' && v2.apiVersion === 'v2' && v2.name === 'k2' && v2.body.length === 3);
});
