/**
 * The storage decoder as it was before the speed work of issue 5 (generic walk with maps per
 * message, bigints for every varint, TextDecoder for every string, base64 by string pieces), kept
 * verbatim as the reference the fast paths must match output for output.
 */
import { K8sEncError } from '../../src/errors.ts';
import { WIRE_BYTES, WIRE_VARINT } from '../../src/protobuf/wire.ts';
import { openEnvelope } from '../../src/storage/envelope.ts';
import { fieldsV1FromRaw } from '../../src/storage/fields-v1.ts';
import { wrapInt } from '../../src/storage/int64.ts';
import { setOwn } from '../../src/storage/json-parse.ts';
import { stringFromRawBytes as escapingDecode } from '../../src/storage/raw-string.ts';
import { formatTime } from '../../src/storage/rfc3339.ts';
import { TYPED_KINDS, type FieldPlan, type MessagePlan } from '../../src/storage/schema.ts';
import type { KubeObject } from '../../src/storage/types.ts';
import { protobufError, StorageWireReader } from '../../src/storage/wire-reader.ts';

type Json = Record<string, unknown>;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const strict = new TextDecoder('utf-8', { fatal: true });

/** TextDecoder on every string; invalid UTF-8 goes to raw-string.ts's escaping path, which is unchanged. */
function stringFromRawBytes(b: Uint8Array): string {
  try {
    return strict.decode(b);
  } catch {
    return escapingDecode(b);
  }
}

/** Secret and ConfigMap as the old decodeObject returned them, insertion order included (other kinds: none). */
export function referenceDecodeTyped(bytes: Uint8Array): KubeObject {
  const env = openEnvelope(bytes);
  const plan = TYPED_KINDS.get(`${env.apiVersion}/${env.kind}`);
  if (plan === undefined) throw new K8sEncError('ERR_ENVELOPE', `not a typed kind: ${env.kind}`);
  return { kind: env.kind, apiVersion: env.apiVersion, ...decodeMessage(plan, env.raw, env.kind) } as KubeObject;
}

export function decodeMessage(plan: MessagePlan, bytes: Uint8Array, where: string): Json {
  const r = new StorageWireReader(bytes, where);
  const values = new Map<FieldPlan, unknown>();
  const segments = new Map<FieldPlan, Uint8Array[]>();
  while (!r.done) {
    const { field, wire } = r.tag();
    const f = plan.byId.get(field);
    if (f === undefined) {
      r.skip(wire, field);
      continue;
    }
    const expected = f.kind === 'bool' || f.kind === 'int64' || f.kind === 'int32' ? WIRE_VARINT : WIRE_BYTES;
    if (wire !== expected) throw protobufError(where, `wrong wireType = ${wire} for field ${f.name}`);
    if (f.mapValue !== undefined) {
      const map = (values.get(f) as Json | undefined) ?? {};
      const [k, v] = decodeMapEntry(r.bytes(f.name), f, `${where}.${f.name}`);
      setOwn(map, k, v);
      values.set(f, map);
    } else if (f.kind === 'message' && !f.repeated) {
      // Repeated occurrences of an embedded message merge, which decoding the concatenation gives.
      const list = segments.get(f) ?? [];
      list.push(r.bytes(f.name));
      segments.set(f, list);
    } else {
      const v = decodeSingle(r, f, `${where}.${f.name}`);
      if (f.repeated) {
        const list = (values.get(f) as unknown[] | undefined) ?? [];
        list.push(v);
        values.set(f, list);
      } else values.set(f, v);
    }
  }
  for (const [f, parts] of segments) {
    const joined = parts.length === 1 ? parts[0]! : Uint8Array.from(parts.flatMap((p) => [...p]));
    values.set(f, decodeMessage(f.message!, joined, `${where}.${f.name}`));
  }
  const out: Json = {};
  for (const f of plan.fields) {
    let v = values.get(f);
    if (v === undefined) {
      if (f.pointer || f.repeated) continue;
      v = zeroValue(f);
    }
    if (!f.alwaysInJson && !f.pointer && isEmpty(v)) continue;
    out[f.name] = v;
  }
  return out;
}

function zeroValue(f: FieldPlan): unknown {
  switch (f.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int64':
    case 'int32':
      return 0;
    case 'time':
      return null;
    case 'message':
      return {};
    default:
      return undefined;
  }
}

function isEmpty(v: unknown): boolean {
  return v === '' || v === 0 || v === false || v === undefined || (Array.isArray(v) && v.length === 0);
}

function decodeSingle(r: StorageWireReader, f: FieldPlan, where: string): unknown {
  switch (f.kind) {
    case 'string':
      return stringFromRawBytes(r.bytes(f.name));
    case 'bytes':
      return toBase64(r.bytes(f.name));
    case 'bool':
      return r.uint64(f.name) !== 0n;
    case 'int64':
      return int64ToJson(wrapInt(r.uint64(f.name), 64));
    case 'int32':
      return Number(wrapInt(r.uint64(f.name), 32));
    case 'time':
      return decodeTime(r.bytes(f.name), where);
    case 'fieldsV1':
      return fieldsV1FromRaw(decodeFieldsV1(r.bytes(f.name), where));
    case 'message':
      return decodeMessage(f.message!, r.bytes(f.name), where);
  }
}

function int64ToJson(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** gogo map entries: key 1, value 2, both defaulting to empty; wire types are not checked. */
function decodeMapEntry(entry: Uint8Array, f: FieldPlan, where: string): [string, string] {
  const r = new StorageWireReader(entry, where);
  let key: Uint8Array = new Uint8Array(0);
  let value: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) key = r.bytes('key');
    else if (field === 2) value = r.bytes('value');
    else r.skip(wire, field);
  }
  return [stringFromRawBytes(key), f.mapValue === 'bytes' ? toBase64(value) : stringFromRawBytes(value)];
}

/** metav1.Time.Unmarshal: no bytes is the zero time; nanos are read and ignored. */
function decodeTime(bytes: Uint8Array, where: string): string | null {
  if (bytes.length === 0) return null;
  const r = new StorageWireReader(bytes, `${where} (Time)`);
  let seconds = 0n;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 || field === 2) {
      if (wire !== WIRE_VARINT) throw protobufError(r.where, `wrong wireType = ${wire} for field ${field === 1 ? 'Seconds' : 'Nanos'}`);
      const v = r.uint64(field === 1 ? 'seconds' : 'nanos');
      if (field === 1) seconds = wrapInt(v, 64);
    } else r.skip(wire, field);
  }
  return formatTime(seconds);
}

function decodeFieldsV1(bytes: Uint8Array, where: string): Uint8Array {
  const r = new StorageWireReader(bytes, `${where} (FieldsV1)`);
  let raw: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire, field);
    else if (wire !== WIRE_BYTES) throw protobufError(r.where, `wrong wireType = ${wire} for field Raw`);
    else raw = r.bytes('Raw');
  }
  return raw;
}

/** Standard base64 with padding (what Go's StdEncoding and Kubernetes JSON write). */
function toBase64(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    s += B64[n >> 18]! + B64[(n >> 12) & 63]!;
    s += i + 1 < b.length ? B64[(n >> 6) & 63]! + '=' : '==';
  }
  return s;
}
