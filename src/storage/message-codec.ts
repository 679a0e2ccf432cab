/**
 * Schema-driven protobuf codec with the exact rules of gogo's generated marshalers (docs/FORMATS.md#protobuf-encoding):
 * ascending field numbers, non-pointer scalars and messages always written, pointers iff set, maps
 * sorted by raw key bytes, Time as seconds plus nanos 0, int64 as 64-bit two's complement, strings
 * as raw bytes. Decoding drops unknown fields, as the apiserver does, and yields the Kubernetes
 * JSON shape (Go's omitempty applied) described in types.ts.
 */
import { compareBytes, concatBytes, decodeGoStdBase64, toBase64 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { WIRE_BYTES, WIRE_VARINT, WireWriter } from '../protobuf/wire.ts';
import { fieldsV1FromRaw, fieldsV1ToRaw } from './fields-v1.ts';
import { noteBase64Values } from './go-json-write.ts';
import { fitsInt, wrapInt } from './int64.ts';
import { setOwn } from './json-parse.ts';
import { rawBytesFromString, stringFromRawBytes } from './raw-string.ts';
import { formatTime, formatUnixSeconds, parseTime, ZERO_TIME_SECONDS } from './rfc3339.ts';
import type { FieldPlan, MessagePlan } from './schema.ts';
import { protobufError, StorageWireReader } from './wire-reader.ts';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- decode

export function decodeMessage(plan: MessagePlan, bytes: Uint8Array, where: string): Json {
  const r = new StorageWireReader(bytes, where);
  // Values by FieldPlan.slot; embedded messages collect their segments first (repeats merge).
  const slots: unknown[] = new Array<unknown>(plan.fields.length).fill(undefined);
  let segments: (Uint8Array[] | undefined)[] | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    const f = knownField(r, plan, field, wire);
    if (f === undefined) continue;
    if (wire !== wireTypeOf(f)) throw protobufError(where, `wrong wireType = ${wire} for field ${f.name}`);
    const slot = f.slot;
    if (f.mapValue !== undefined) {
      let map = slots[slot] as Json | undefined;
      if (map === undefined) slots[slot] = map = {};
      addMapEntry(map, r.bytes(f.name), f, where);
    } else if (f.kind === 'message' && !f.repeated) {
      // Repeated occurrences of an embedded message merge, which decoding the concatenation gives.
      segments ??= [];
      (segments[slot] ??= []).push(r.bytes(f.name));
    } else {
      const v = decodeSingle(r, f, where);
      if (!f.repeated) slots[slot] = v;
      else if (slots[slot] === undefined) slots[slot] = [v];
      else (slots[slot] as unknown[]).push(v);
    }
  }
  const out: Json = {};
  for (const f of plan.fields) {
    const parts = segments?.[f.slot];
    let v = parts === undefined ? slots[f.slot] : decodeMessage(f.message!, joinSegments(parts), `${where}.${f.name}`);
    if (v === undefined) {
      if (f.pointer || f.repeated) continue;
      v = zeroValue(f);
    }
    if (!f.alwaysInJson && !f.pointer && isEmpty(v)) continue;
    if (f.mapValue === 'bytes') noteBase64Values(v as Record<string, string>);
    out[f.name] = v;
  }
  return out;
}

/** The plan's field for the tag just read; undefined once an unknown field's value is skipped. */
export function knownField(r: StorageWireReader, plan: MessagePlan, field: number, wire: number): FieldPlan | undefined {
  const f = field < plan.byNumber.length ? plan.byNumber[field] : undefined;
  if (f === undefined) r.skip(wire, field);
  return f;
}

/** The wire type gogo's Unmarshal accepts for a field (any other is an error). */
export function wireTypeOf(f: FieldPlan): number {
  return f.kind === 'bool' || f.kind === 'int64' || f.kind === 'int32' ? WIRE_VARINT : WIRE_BYTES;
}

function joinSegments(parts: Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
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
      return r.int64(f.name) !== 0;
    case 'int64':
      return readInt(r, f.name, 64);
    case 'int32':
      return readInt(r, f.name, 32);
    case 'time':
      return decodeTime(r.bytes(f.name), where, f.name);
    case 'fieldsV1':
      return fieldsV1FromRaw(decodeFieldsV1(r.bytes(f.name), `${where}.${f.name}`));
    case 'message':
      return decodeMessage(f.message!, r.bytes(f.name), `${where}.${f.name}`);
  }
}

/**
 * A varint as Go's int64 or int32 in JSON: a number, or a bigint beyond ±2^53. Read as a number
 * first; GogoReader.int64 is exact below 2^53 and otherwise lands outside the safe range, and only
 * then is the varint read again exactly.
 */
function readInt(r: StorageWireReader, label: string, bits: 32 | 64): number | bigint {
  const at = r.pos;
  const n = r.int64(label);
  if (Number.isSafeInteger(n)) return bits === 32 ? n | 0 : n;
  r.pos = at;
  const exact = wrapInt(r.uint64(label), bits);
  return bits === 32 ? Number(exact) : int64ToJson(exact);
}

export function int64ToJson(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/**
 * gogo map entries: key 1, value 2, both defaulting to empty; wire types are not checked.
 * Nearly every entry is exactly `0a len key 12 len value`, read here without a reader; anything
 * else (missing or repeated parts, unknown fields, bad lengths) takes the general path.
 */
function addMapEntry(map: Json, entry: Uint8Array, f: FieldPlan, where: string): void {
  const keyEnd = entry[0] === 0x0a ? lengthDelimitedEnd(entry, 1) : -1;
  const valueEnd = keyEnd > 0 && entry[keyEnd] === 0x12 ? lengthDelimitedEnd(entry, keyEnd + 1) : -1;
  if (valueEnd !== entry.length) {
    addMapEntryInGeneral(map, entry, f, where);
    return;
  }
  const key = entry.subarray(keyEnd - keyLength, keyEnd);
  const value = entry.subarray(valueEnd - valueLength, valueEnd);
  setOwn(map, stringFromRawBytes(key), f.mapValue === 'bytes' ? toBase64(value) : stringFromRawBytes(value));
}

/** Lengths found by the last lengthDelimitedEnd calls (module state: no tuple per entry). */
let keyLength = 0;
let valueLength = 0;

/** The end of the length-prefixed bytes whose length varint starts at `at`, or -1 if they do not fit. */
export function lengthDelimitedEnd(b: Uint8Array, at: number): number {
  let len = 0;
  let i = at;
  // Lengths past 2^28 do not fit any buffer here; leave them (and malformed varints) to the general path.
  for (let shift = 0; shift < 28; shift += 7) {
    if (i >= b.length) return -1;
    const c = b[i++]!;
    len |= (c & 0x7f) << shift;
    if (c < 0x80) {
      if (len > b.length - i) return -1;
      if (at === 1) keyLength = len;
      else valueLength = len;
      return i + len;
    }
  }
  return -1;
}

function addMapEntryInGeneral(map: Json, entry: Uint8Array, f: FieldPlan, where: string): void {
  const r = new StorageWireReader(entry, where, `.${f.name}`);
  let key: Uint8Array = new Uint8Array(0);
  let value: Uint8Array = new Uint8Array(0);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1) key = r.bytes('key');
    else if (field === 2) value = r.bytes('value');
    else r.skip(wire, field);
  }
  setOwn(map, stringFromRawBytes(key), f.mapValue === 'bytes' ? toBase64(value) : stringFromRawBytes(value));
}

/** metav1.Time.Unmarshal: no bytes is the zero time; nanos are read and ignored. */
function decodeTime(bytes: Uint8Array, where: string, name: string): string | null {
  if (bytes.length === 0) return null;
  const r = new StorageWireReader(bytes, where, `.${name} (Time)`);
  let seconds: number | bigint = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 || field === 2) {
      if (wire !== WIRE_VARINT) throw protobufError(r.where, `wrong wireType = ${wire} for field ${field === 1 ? 'Seconds' : 'Nanos'}`);
      if (field === 1) seconds = readInt(r, 'seconds', 64);
      else r.int64('nanos');
    } else r.skip(wire, field);
  }
  return typeof seconds === 'number' ? formatUnixSeconds(seconds) : formatTime(seconds);
}

function decodeFieldsV1(bytes: Uint8Array, where: string): Uint8Array {
  const r = new StorageWireReader(bytes, where, ' (FieldsV1)');
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
    const v = Object.hasOwn(obj, f.name) ? obj[f.name] : undefined;
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
      // 1.36+ writes Raw iff it is non-empty (docs/FORMATS.md#protobuf-encoding rule 8).
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
  const b = decodeGoStdBase64(v);
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
