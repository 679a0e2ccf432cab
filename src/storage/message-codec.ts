/**
 * Schema-driven protobuf codec with the exact rules of gogo's generated marshalers (SPEC §5.3):
 * ascending field numbers, non-pointer scalars and messages always written, pointers iff set, maps
 * sorted by raw key bytes, Time as seconds plus nanos 0, int64 as 64-bit two's complement, strings
 * as raw bytes. Decoding drops unknown fields, as the apiserver does, and yields the Kubernetes
 * JSON shape (Go's omitempty applied) described in types.ts.
 */
import { compareBytes, decodeBase64Strict, toBase64 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { WIRE_BYTES, WIRE_VARINT, WireWriter } from '../protobuf/wire.ts';
import { fieldsV1FromRaw, fieldsV1ToRaw } from './fields-v1.ts';
import { fitsInt, wrapInt } from './int64.ts';
import { setOwn } from './json-parse.ts';
import { rawBytesFromString, stringFromRawBytes } from './raw-string.ts';
import { formatTime, parseTime, ZERO_TIME_SECONDS } from './rfc3339.ts';
import type { FieldPlan, MessagePlan } from './schema.ts';
import { protobufError, WireReader } from './wire.ts';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- decode

export function decodeMessage(plan: MessagePlan, bytes: Uint8Array, where: string): Json {
  const r = new WireReader(bytes, where);
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

function decodeSingle(r: WireReader, f: FieldPlan, where: string): unknown {
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

export function int64ToJson(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** gogo map entries: key 1, value 2, both defaulting to empty; wire types are not checked. */
function decodeMapEntry(entry: Uint8Array, f: FieldPlan, where: string): [string, string] {
  const r = new WireReader(entry, where);
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
  const r = new WireReader(bytes, `${where} (Time)`);
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
  const r = new WireReader(bytes, `${where} (FieldsV1)`);
  let raw: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field !== 1) r.skip(wire, field);
    else if (wire !== WIRE_BYTES) throw protobufError(r.where, `wrong wireType = ${wire} for field Raw`);
    else raw = r.bytes('Raw');
  }
  return raw;
}

// ---------------------------------------------------------------- encode

function objectError(where: string, problem: string): K8sEncError {
  return new K8sEncError('ERR_OBJECT', `${where}: ${problem}`);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v;
}

export function encodeMessage(plan: MessagePlan, value: unknown, where: string): Uint8Array {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw objectError(where, `expected an object, got ${describe(value)}`);
  }
  const obj = value as Json;
  const w = new WireWriter();
  for (const f of plan.writeOrder) {
    const v = Object.prototype.hasOwnProperty.call(obj, f.name) ? obj[f.name] : undefined;
    const at = `${where}.${f.name}`;
    if (f.mapValue !== undefined) encodeMap(w, f, v, at);
    else if (f.repeated) {
      if (v === undefined || v === null) continue;
      if (!Array.isArray(v)) throw objectError(at, `expected an array, got ${describe(v)}`);
      v.forEach((item, i) => encodeSingle(w, f, item, `${at}[${i}]`));
    } else if (f.pointer) {
      // JSON null on a Go pointer means nil, except for Time, where null is the zero time we decoded.
      if (v === undefined || (v === null && f.kind !== 'time')) continue;
      encodeSingle(w, f, v, at);
    } else encodeSingle(w, f, v ?? zeroValue(f), at);
  }
  return w.finish();
}

function encodeSingle(w: WireWriter, f: FieldPlan, v: unknown, where: string): void {
  switch (f.kind) {
    case 'string':
      if (typeof v !== 'string') throw objectError(where, `expected a string, got ${describe(v)}`);
      w.bytes(f.id, rawBytesFromString(v));
      return;
    case 'bytes':
      w.bytes(f.id, base64Value(v, where));
      return;
    case 'bool':
      if (typeof v !== 'boolean') throw objectError(where, `expected a boolean, got ${describe(v)}`);
      w.tag(f.id, WIRE_VARINT).varint(v ? 1 : 0);
      return;
    case 'int64':
    case 'int32':
      w.tag(f.id, WIRE_VARINT).varint(int64FromJson(v, where, f.kind === 'int32' ? 32 : 64));
      return;
    case 'time':
      w.bytes(f.id, encodeTime(v, where));
      return;
    case 'fieldsV1': {
      const raw = fieldsV1ToRaw(v, where);
      // 1.36+ writes Raw iff it is non-empty (SPEC §5.3 rule 9).
      w.bytes(f.id, raw.length === 0 ? raw : new WireWriter().bytes(1, raw).finish());
      return;
    }
    case 'message':
      w.bytes(f.id, encodeMessage(f.message!, v, where));
      return;
  }
}

function encodeMap(w: WireWriter, f: FieldPlan, v: unknown, where: string): void {
  if (v === undefined || v === null) return;
  if (typeof v !== 'object' || Array.isArray(v)) throw objectError(where, `expected an object, got ${describe(v)}`);
  const entries = Object.keys(v).map((k) => {
    const value = (v as Json)[k];
    const at = `${where}[${JSON.stringify(k)}]`;
    let bytes: Uint8Array;
    if (f.mapValue === 'bytes') bytes = value === null ? new Uint8Array(0) : base64Value(value, at);
    else if (typeof value === 'string') bytes = rawBytesFromString(value);
    else if (value === null) bytes = new Uint8Array(0);
    else throw objectError(at, `expected a string, got ${describe(value)}`);
    return { key: rawBytesFromString(k), bytes };
  });
  entries.sort((a, b) => compareBytes(a.key, b.key));
  for (const e of entries) w.bytes(f.id, new WireWriter().bytes(1, e.key).bytes(2, e.bytes).finish());
}

function base64Value(v: unknown, where: string): Uint8Array {
  if (typeof v !== 'string') throw objectError(where, `expected a base64 string, got ${describe(v)}`);
  const b = decodeBase64Strict(v);
  if (b === null) throw objectError(where, 'illegal base64 data');
  return b;
}

export function int64FromJson(v: unknown, where: string, bits: 32 | 64 = 64): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) n = BigInt(v);
  else throw objectError(where, `expected an integer (a number up to 2^53 or a bigint), got ${describe(v)} ${String(v)}`);
  if (!fitsInt(n, bits)) throw objectError(where, `${n} overflows int${bits}`);
  return n;
}

/** metav1.Time.Marshal: the zero time is no bytes; otherwise seconds and nanos, both always written. */
function encodeTime(v: unknown, where: string): Uint8Array {
  if (v === null || v === undefined) return new Uint8Array(0);
  if (typeof v !== 'string') throw objectError(where, `expected an RFC 3339 time string or null, got ${describe(v)}`);
  const t = parseTime(v);
  if (t === null) throw objectError(where, `cannot parse ${JSON.stringify(v)} as RFC 3339`);
  if (t.seconds === ZERO_TIME_SECONDS && t.nanos === 0) return new Uint8Array(0);
  return new WireWriter().tag(1, WIRE_VARINT).varint(t.seconds).tag(2, WIRE_VARINT).varint(t.nanos).finish();
}
