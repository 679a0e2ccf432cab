/**
 * Ground truth from kubernetes/api testdata (docs/FORMATS.md#vector-files) and the captured Kubernetes 1.8 values
 * (docs/FORMATS.md#the-captured-18-secret): decoding, bit-exact encoding and kubectl-style YAML.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { decodeGoStdBase64, equalBytes, toHex, utf8 } from '../src/bytes.ts';
import { getBackend } from '../src/crypto/select.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { parseJson } from '../src/storage/json-parse.ts';
import { toYaml } from '../src/storage/output.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { editField, parseFields, serializeFields, type WireField } from './support/storage-wire.ts';

const FIXTURES = new URL('../vectors/k8s-api-testdata/', import.meta.url);
const CAPTURED = new URL('../vectors/captured/k8s-1.8-aescbc/', import.meta.url);

const versions = readdirSync(FIXTURES).filter((v) => v !== 'COMMIT');
const read = (version: string, file: string) => new Uint8Array(readFileSync(new URL(`${version}/${file}`, FIXTURES)));
const readJson = (version: string, file: string) =>
  parseJson(readFileSync(new URL(`${version}/${file}`, FIXTURES), 'utf8')) as unknown as KubeObject;

/** v1.23.0 and later fixtures are written by today's schema (v1.9+ order compares lexically). */
function isCurrentSchema(version: string): boolean {
  if (version === 'HEAD') return true;
  const minor = Number(/^v1\.(\d+)\./.exec(version)![1]);
  return minor >= 23;
}

/**
 * The documented rule for fixtures written before 1.23: decoding drops exactly the fields the
 * current schema removed, `metadata.clusterName` (1.8–1.24) and `managedFields[].fields` (1.14–1.15),
 * as the apiserver does; everything else must match the fixture JSON.
 */
function withoutRemovedFields(obj: KubeObject): KubeObject {
  const copy = structuredClone(obj);
  delete copy.metadata['clusterName'];
  for (const entry of copy.metadata.managedFields ?? []) delete (entry as Record<string, unknown>)['fields'];
  return copy;
}

/** docs/FORMATS.md#vector-files at the wire level: drop ObjectMeta 15 and ManagedFieldsEntry 5; add `fieldsType`/`subresource` "". */
function expectedReencoding(pb: Uint8Array): Uint8Array {
  const magic = pb.subarray(0, 4);
  const unknown = editField(pb.subarray(4), 2, (raw) =>
    editField(raw, 1, (meta) => {
      const kept = parseFields(meta).filter((f) => f.field !== 15);
      return serializeFields(
        kept.map((f) => {
          if (f.field !== 17 || !(f.value instanceof Uint8Array)) return f;
          const entry = parseFields(f.value).filter((e) => e.field !== 5);
          const empty = (field: number): WireField => ({ field, wire: 2, value: new Uint8Array(0) });
          if (!entry.some((e) => e.field === 6)) entry.push(empty(6));
          if (!entry.some((e) => e.field === 8)) entry.push(empty(8));
          return { ...f, value: serializeFields(entry.sort((a, b) => a.field - b.field)) };
        }),
      );
    }),
  );
  return Uint8Array.from([...magic, ...unknown]);
}

describe('kubernetes/api round-trip fixtures', () => {
  it('covers HEAD and every version v1.14.0…v1.36.0', () => {
    assert.ok(versions.includes('HEAD'));
    for (let minor = 14; minor <= 36; minor++) assert.ok(versions.includes(`v1.${minor}.0`), `v1.${minor}.0 present`);
  });

  for (const version of versions) {
    for (const kind of ['Secret', 'ConfigMap']) {
      describe(`${version} ${kind}`, () => {
        const pb = read(version, `core.v1.${kind}.pb`);
        const json = readJson(version, `core.v1.${kind}.json`);

        it('decodes to its .json', () => {
          const expected = isCurrentSchema(version) ? json : withoutRemovedFields(json);
          assert.deepStrictEqual(decodeObject(pb), expected);
        });

        if (isCurrentSchema(version)) {
          it('encodeObject(.json) reproduces the .pb byte for byte', () => {
            assert.equal(toHex(encodeObject(json)), toHex(pb));
          });
          it('decode → encode is the identity', () => {
            assert.equal(toHex(encodeObject(decodeObject(pb))), toHex(pb));
          });
        } else {
          it('re-encodes as today: removed fields dropped, empty fieldsType/subresource written', () => {
            const expected = expectedReencoding(pb);
            assert.ok(!equalBytes(expected, pb), 'this fixture does hold removed fields');
            assert.equal(toHex(encodeObject(decodeObject(pb))), toHex(expected));
            assert.equal(toHex(encodeObject(json)), toHex(expected));
          });
        }

        it('toYaml(.json) is the fixture .yaml (sigs.k8s.io/yaml layout)', () => {
          assert.equal(toYaml(json), readFileSync(new URL(`${version}/core.v1.${kind}.yaml`, FIXTURES), 'utf8'));
        });

        const after = `core.v1.${kind}.after_roundtrip.pb`;
        if (existsSync(new URL(`${version}/${after}`, FIXTURES))) {
          it('its after_roundtrip.pb decodes to the same object', () => {
            assert.deepStrictEqual(decodeObject(read(version, after)), withoutRemovedFields(json));
          });
        }
      });
    }
  }

  describe('every HEAD core.v1 kind decodes generically', () => {
    for (const file of readdirSync(new URL('HEAD/', FIXTURES)).filter((f) => f.endsWith('.pb'))) {
      it(file, () => {
        const obj = decodeObject(read('HEAD', file));
        const json = readJson('HEAD', file.replace(/\.pb$/, '.json')) as Partial<KubeObject>;
        assert.equal(obj.kind, json.kind ?? '');
        assert.equal(obj.apiVersion, json.apiVersion ?? '');
        for (const field of ['name', 'namespace', 'uid'] as const) assert.equal(obj.metadata[field], json.metadata?.[field]);
        // An ObjectMeta always prints creationTimestamp; Status carries a ListMeta, which is not decoded.
        if (json.metadata !== undefined && 'creationTimestamp' in json.metadata) {
          assert.deepStrictEqual(obj.metadata, json.metadata, 'the whole ObjectMeta');
        }
        if (!/^core\.v1\.(Secret|ConfigMap)\.pb$/.test(file)) {
          const kept = obj['undecodedProtobuf'] as { raw: string };
          const raw = parseFields(read('HEAD', file).subarray(4)).find((f) => f.field === 2)!.value as Uint8Array;
          assert.deepStrictEqual(decodeGoStdBase64(kept.raw), raw, 'the rest is kept, not dropped');
        }
      });
    }
  });
});

describe('Kubernetes 1.8 captured values (docs/FORMATS.md#the-captured-18-secret)', () => {
  /** etcdctl printed `key\n` + value + `\n`. */
  const capturedValue = (name: string) => {
    const b = new Uint8Array(readFileSync(new URL(name, CAPTURED)));
    return b.subarray(b.indexOf(0x0a) + 1, b.length - 1);
  };
  const expected = (name: string) => parseJson(readFileSync(new URL(name, CAPTURED), 'utf8'));

  it('the identity value decodes to expected-identity.json', () => {
    assert.deepStrictEqual(decodeObject(capturedValue('etcdctl-get-identity.bin')), expected('expected-identity.json'));
  });

  it('the aescbc value, decrypted with key1, decodes to expected-aescbc.json and re-encodes to 134 bytes', () => {
    const stored = capturedValue('etcdctl-get-aescbc.bin');
    const prefix = utf8('k8s:enc:aescbc:v1:key1:');
    const key = decodeGoStdBase64('cSNmGdfrr/IZeYN9npkl3F7/ScQcer2We9VxmM4X5ww=')!;
    const body = stored.subarray(prefix.length);
    const padded = getBackend().aesCbcDecrypt(key, body.subarray(0, 16), body.subarray(16));
    const plaintext = padded.subarray(0, padded.length - padded[padded.length - 1]!);
    assert.equal(plaintext.length, 136);
    const obj = decodeObject(plaintext);
    assert.deepStrictEqual(obj, expected('expected-aescbc.json'));

    // Re-encoding today drops clusterName (7a 00): metadata 4d → 4b, raw 70 → 6e.
    const again = encodeObject(obj);
    assert.equal(again.length, 134);
    assert.equal(toHex(again.subarray(0, 20)), '6b3873000a0c0a0276311206536563726574126e');
    assert.equal(again[20], 0x0a);
    assert.equal(again[21], 0x4b);
    assert.equal(toHex(again.subarray(again.length - 4)), '1a002200');
    const withoutClusterName = toHex(plaintext)
      .replace('12700a4d', '126e0a4b')
      .replace(/7a00(?=1217)/, '');
    assert.equal(toHex(again), withoutClusterName);
  });
});
