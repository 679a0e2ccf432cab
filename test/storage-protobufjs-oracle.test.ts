// An independent oracle for the storage decoder: protobufjs over proto/ (runtime.Unknown, core/v1
// Secret and ConfigMap, meta/v1 ObjectMeta) reads the same bytes, a small converter of this test's
// own turns that into the Kubernetes JSON shape, and decodeObject must agree. Over every Secret and
// ConfigMap fixture of kubernetes/api testdata, the sample snapshot's and vectors/salvage's stored
// objects, and random Secrets/ConfigMaps that protobufjs itself encodes.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { createTransformer } from '../src/config/create-transformer.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { decodeObject } from '../src/storage/decode.ts';

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'proto');
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

let root: protobuf.Root;
let Unknown: protobuf.Type;
const kinds: Record<string, protobuf.Type> = {};

before(async () => {
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  await root.load(['runtime.proto', 'core.proto'], { keepCase: true });
  Unknown = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  kinds['Secret'] = root.lookupType('k8s.io.api.core.v1.Secret');
  kinds['ConfigMap'] = root.lookupType('k8s.io.api.core.v1.ConfigMap');
});

type Json = Record<string, unknown>;
type Msg = Record<string, unknown>;

/** metav1.Time as JSON: RFC 3339 in UTC, whole seconds. */
function time(t: Msg | undefined | null): string | null {
  if (t === undefined || t === null) return null;
  const seconds = Number(t['seconds'] ?? 0);
  if (seconds === 0 && Number(t['nanos'] ?? 0) === 0) return null; // Go's zero time marshals as null
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const has = (m: Msg, f: string) => Object.hasOwn(m, f) && m[f] !== null && m[f] !== undefined;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const nonEmpty = (o: Json) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0)));

function objectMeta(m: Msg): Json {
  const map = (x: unknown) => (x !== undefined && Object.keys(x as object).length > 0 ? { ...(x as Json) } : undefined);
  return nonEmpty({
    name: m['name'],
    generateName: m['generateName'],
    namespace: m['namespace'],
    selfLink: m['selfLink'],
    uid: m['uid'],
    resourceVersion: m['resourceVersion'],
    generation: Number(m['generation'] ?? 0) === 0 ? undefined : Number(m['generation']),
    creationTimestamp: time(m['creationTimestamp'] as Msg | undefined),
    deletionTimestamp: has(m, 'deletionTimestamp') ? time(m['deletionTimestamp'] as Msg) : undefined,
    deletionGracePeriodSeconds: has(m, 'deletionGracePeriodSeconds') ? Number(m['deletionGracePeriodSeconds']) : undefined,
    labels: map(m['labels']),
    annotations: map(m['annotations']),
    ownerReferences: ((m['ownerReferences'] as Msg[] | undefined) ?? []).map((o) =>
      nonEmpty({
        apiVersion: o['apiVersion'] ?? '',
        kind: o['kind'] ?? '',
        name: o['name'] ?? '',
        uid: o['uid'] ?? '',
        controller: has(o, 'controller') ? o['controller'] : undefined,
        blockOwnerDeletion: has(o, 'blockOwnerDeletion') ? o['blockOwnerDeletion'] : undefined,
      }),
    ),
    finalizers: m['finalizers'],
    managedFields: ((m['managedFields'] as Msg[] | undefined) ?? []).map((f) =>
      nonEmpty({
        manager: f['manager'],
        operation: f['operation'],
        apiVersion: f['apiVersion'],
        time: has(f, 'time') ? time(f['time'] as Msg) : undefined,
        fieldsType: f['fieldsType'],
        fieldsV1: has(f, 'fieldsV1')
          ? JSON.parse(Buffer.from(((f['fieldsV1'] as Msg)['Raw'] as Uint8Array | undefined) ?? []).toString() || '{}')
          : undefined,
        subresource: f['subresource'],
      }),
    ),
  });
}

/** The Kubernetes JSON shape of a protobufjs-decoded Secret or ConfigMap. */
function toJsonShape(kind: string, apiVersion: string, m: Msg): Json {
  const out: Json = { kind, apiVersion, metadata: has(m, 'metadata') ? objectMeta(m['metadata'] as Msg) : { creationTimestamp: null } };
  if (!has(m, 'metadata')) (out['metadata'] as Json)['creationTimestamp'] = null;
  else if ((out['metadata'] as Json)['creationTimestamp'] === undefined) (out['metadata'] as Json)['creationTimestamp'] = null;
  if (has(m, 'immutable')) out['immutable'] = m['immutable'];
  const bytesMap = (x: unknown) => Object.fromEntries(Object.entries((x as Record<string, Uint8Array>) ?? {}).map(([k, v]) => [k, b64(v)]));
  if (kind === 'Secret') {
    if (Object.keys((m['data'] as object) ?? {}).length > 0) out['data'] = bytesMap(m['data']);
    if (Object.keys((m['stringData'] as object) ?? {}).length > 0) out['stringData'] = { ...(m['stringData'] as Json) };
    if ((m['type'] ?? '') !== '') out['type'] = m['type'];
  } else {
    if (Object.keys((m['data'] as object) ?? {}).length > 0) out['data'] = { ...(m['data'] as Json) };
    if (Object.keys((m['binaryData'] as object) ?? {}).length > 0) out['binaryData'] = bytesMap(m['binaryData']);
  }
  return out;
}

/** What protobufjs makes of stored bytes, or null for a kind this oracle does not cover. */
function oracle(stored: Uint8Array): Json | null {
  assert.ok(Buffer.from(stored.subarray(0, 4)).equals(MAGIC), 'k8s\\0 envelope');
  const u = Unknown.decode(stored.subarray(4)) as unknown as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array };
  const kind = u.typeMeta?.kind ?? '';
  const type = kinds[kind];
  if (type === undefined || u.typeMeta?.apiVersion !== 'v1') return null;
  return toJsonShape(kind, 'v1', type.decode(u.raw ?? new Uint8Array(0)) as unknown as Msg);
}

/** decodeObject's answer in plain JSON (its exact integers as numbers; these fixtures fit). */
function ours(stored: Uint8Array): Json {
  return JSON.parse(JSON.stringify(decodeObject(stored), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as Json;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Json)[k])]),
    );
  return v;
}

function agree(stored: Uint8Array, what: string): void {
  const want = oracle(stored);
  assert.ok(want !== null, `${what}: a Secret or ConfigMap`);
  assert.deepEqual(sortKeys(ours(stored)), sortKeys(want), what);
}

describe('storage decoder against protobufjs over proto/', () => {
  it('every Secret and ConfigMap fixture of kubernetes/api testdata', () => {
    const dir = 'vectors/k8s-api-testdata';
    let n = 0;
    for (const version of readdirSync(dir).filter((v) => v !== 'COMMIT')) {
      for (const kind of ['Secret', 'ConfigMap']) {
        const stored = new Uint8Array(readFileSync(join(dir, version, `core.v1.${kind}.pb`)));
        // Fixtures before 1.23 carry fields today's schema dropped (clusterName, managedFields[].fields):
        // protobufjs skips them as unknown fields, as decodeObject does.
        agree(stored, `${version} ${kind}`);
        n++;
      }
    }
    assert.ok(n >= 40, `${n} fixtures`);
  });

  it('every object stored in the sample snapshot and in vectors/salvage', async () => {
    let n = 0;
    for (const dir of ['vectors/sample', 'vectors/salvage']) {
      const config = parseEncryptionConfig(readFileSync(`${dir}/encryption-config.yaml`), `${dir}/encryption-config.yaml`);
      const src = await openSnapshot(`${dir}/snapshot.db`);
      try {
        for await (const item of src.scan(new Uint8Array(0))) {
          assert.ok(item.ok);
          const key = Buffer.from(item.entry.key).toString();
          const { data } = await createTransformer(config, key.split('/')[2]!).fromStorage(item.entry.value, key);
          agree(data, key);
          n++;
        }
      } finally {
        await src.close();
      }
    }
    assert.ok(n >= 55, `${n} objects`);
  });

  it('random Secrets and ConfigMaps that protobufjs encodes', () => {
    const str = fc.string({ maxLength: 12 });
    const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
    const meta = fc.record(
      {
        name: str,
        namespace: str,
        uid: str,
        resourceVersion: fc.stringMatching(/^[0-9]{0,6}$/),
        generation: fc.integer({ min: 0, max: 2 ** 40 }),
        creationTimestamp: fc.record({ seconds: fc.integer({ min: 0, max: 2 ** 33 }) }),
        labels: fc.dictionary(key, str, { maxKeys: 4 }),
        annotations: fc.dictionary(key, fc.string({ maxLength: 40 }), { maxKeys: 3 }),
        finalizers: fc.array(key, { maxLength: 2 }),
      },
      { requiredKeys: ['creationTimestamp'] },
    );
    const bytes = fc.uint8Array({ maxLength: 40 });
    const secret = fc.record({
      metadata: meta,
      data: fc.dictionary(key, bytes, { maxKeys: 4 }),
      type: fc.constantFrom('', 'Opaque', 'kubernetes.io/tls'),
    });
    const configMap = fc.record({
      metadata: meta,
      data: fc.dictionary(key, fc.string({ maxLength: 30 }), { maxKeys: 4 }),
      binaryData: fc.dictionary(key, bytes, { maxKeys: 2 }),
    });
    const obj = fc.oneof(
      secret.map((m) => ['Secret', m] as const),
      configMap.map((m) => ['ConfigMap', m] as const),
    );
    fc.assert(
      fc.property(obj, ([kind, m]) => {
        const type = kinds[kind]!;
        const raw = type.encode(type.fromObject(m)).finish();
        const unknown = Unknown.encode(
          Unknown.fromObject({ typeMeta: { apiVersion: 'v1', kind }, raw, contentEncoding: '', contentType: '' }),
        ).finish();
        agree(Buffer.concat([MAGIC, unknown]), `random ${kind}`);
      }),
      { numRuns: 300, seed: 20261206 },
    );
  });
});
