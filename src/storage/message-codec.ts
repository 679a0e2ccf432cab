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
import { base64FromRange, mapKeyFromRange, stringFromRange } from './byte-range.ts';
import { rawBytesFromString, stringFromRawBytes } from './raw-string.ts';
import { formatTime, formatUnixSeconds, parseTime, ZERO_TIME_SECONDS } from './rfc3339.ts';
import type { FieldPlan, MessagePlan } from './schema.ts';
import { protobufError, StorageWireReader } from './wire-reader.ts';

type Json = Record<string, unknown>;

// ---------------------------------------------------------------- decode

/**
 * The message in buf[start, end) in the Kubernetes JSON shape, its fields added to `out` (in Go
 * struct order, after any keys `out` already has).
 */
export function decodeMessage(plan: MessagePlan, buf: Uint8Array, where: string, start = 0, end = buf.length, out: Json = {}): Json {
  const r = new StorageWireReader(buf, where, '', start, end);
  // Values by FieldPlan.slot; embedded messages collect their segments' bounds first (repeats merge).
  const slots: unknown[] = new Array<unknown>(plan.fields.length).fill(undefined);
  let segments: (number[] | undefined)[] | undefined;
  while (!r.done) {
    const { field, wire } = r.tag();
    const f = knownField(r, plan, field, wire);
    if (f === undefined) continue;
    if (wire !== wireTypeOf(f)) throw protobufError(where, `wrong wireType = ${wire} for field ${f.name}`);
    const slot = f.slot;
    if (f.mapValue !== undefined) {
      let map = slots[slot] as Json | undefined;
      if (map === undefined) slots[slot] = map = {};
      const from = r.lengthDelimited(f.name);
      addMapEntry(map, buf, from, r.pos, f, where);
    } else if (f.kind === 'message' && !f.repeated) {
      // Repeated occurrences of an embedded message merge, which decoding the concatenation gives.
      segments ??= [];
      const from = r.lengthDelimited(f.name);
      (segments[slot] ??= []).push(from, r.pos);
    } else {
      const v = decodeSingle(r, f, where);
      if (!f.repeated) slots[slot] = v;
      else if (slots[slot] === undefined) slots[slot] = [v];
      else (slots[slot] as unknown[]).push(v);
    }
  }
  for (const f of plan.fields) {
    const bounds = segments?.[f.slot];
    let v = bounds === undefined ? slots[f.slot] : decodeSegments(f, buf, bounds, where);
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

/** An embedded message from its segments' [start, end) pairs: in place if there is one, else joined. */
function decodeSegments(f: FieldPlan, buf: Uint8Array, bounds: number[], where: string): Json {
  const at = `${where}.${f.name}`;
  if (bounds.length === 2) return decodeMessage(f.message!, buf, at, bounds[0], bounds[1]);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bounds.length; i += 2) parts.push(buf.subarray(bounds[i], bounds[i + 1]));
  return decodeMessage(f.message!, concatBytes(...parts), at);
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
    case 'string': {
      const from = r.lengthDelimited(f.name);
      return stringFromRange(r.buf, from, r.pos);
    }
    case 'bytes': {
      const from = r.lengthDelimited(f.name);
      return base64FromRange(r.buf, from, r.pos);
    }
    case 'bool':
      return r.int64(f.name) !== 0;
    case 'int64':
      return readInt(r, f.name, 64);
    case 'int32':
      return readInt(r, f.name, 32);
    case 'time': {
      const from = r.lengthDelimited(f.name);
      return decodeTime(r.buf, from, r.pos, where, f.name);
    }
    case 'fieldsV1':
      return fieldsV1FromRaw(decodeFieldsV1(r.bytes(f.name), `${where}.${f.name}`));
    case 'message': {
      const from = r.lengthDelimited(f.name);
      return decodeMessage(f.message!, r.buf, `${where}.${f.name}`, from, r.pos);
    }
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
 * Nearly every entry (buf[start, end)) is exactly `0a len key 12 len value`, read here without a
 * reader; anything else (missing or repeated parts, unknown fields, bad lengths) takes the general path.
 */
function addMapEntry(map: Json, buf: Uint8Array, start: number, end: number, f: FieldPlan, where: string): void {
  const keyEnd = start < end && buf[start] === 0x0a ? lengthDelimitedEnd(buf, start + 1, end) : -1;
  const keyStart = keyEnd - lastLength;
  const valueEnd = keyEnd >= 0 && keyEnd < end && buf[keyEnd] === 0x12 ? lengthDelimitedEnd(buf, keyEnd + 1, end) : -1;
  if (valueEnd !== end) {
    addMapEntryInGeneral(map, buf.subarray(start, end), f, where);
    return;
  }
  const valueStart = valueEnd - lastLength;
  const key = mapKeyFromRange(buf, keyStart, keyEnd);
  setOwn(map, key, f.mapValue === 'bytes' ? base64FromRange(buf, valueStart, valueEnd) : stringFromRange(buf, valueStart, valueEnd));
}

/** The length found by the last lengthDelimitedEnd call (module state: no tuple per entry). */
let lastLength = 0;

/**
 * The end of the length-prefixed bytes whose length varint starts at `at`, or -1 if they do not
 * fit before `end`.
 */
export function lengthDelimitedEnd(b: Uint8Array, at: number, end = b.length): number {
  let len = 0;
  let i = at;
  // Lengths past 2^28 do not fit any buffer here; leave them (and malformed varints) to the general path.
  for (let shift = 0; shift < 28; shift += 7) {
    if (i >= end) return -1;
    const c = b[i++]!;
    len |= (c & 0x7f) << shift;
    if (c < 0x80) {
      if (len > end - i) return -1;
      lastLength = len;
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

/** metav1.Time.Unmarshal of buf[start, end): no bytes is the zero time; nanos are read and ignored. */
function decodeTime(buf: Uint8Array, start: number, end: number, where: string, name: string): string | null {
  if (start === end) return null;
  const plain = plainTimeSeconds(buf, start, end);
  if (plain >= 0) return formatUnixSeconds(plain);
  const r = new StorageWireReader(buf, where, `.${name} (Time)`, start, end);
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

/**
 * The seconds of a Time that is exactly `08 seconds 10 nanos` (as the apiserver writes every time
 * after 1970) with seconds below 2^49, read without a reader; -1 for anything else.
 */
function plainTimeSeconds(buf: Uint8Array, start: number, end: number): number {
  if (buf[start] !== 0x08) return -1;
  let seconds = 0;
  let i = start + 1;
  for (let scale = 1; ; scale *= 128) {
    if (i >= end || scale > 2 ** 42) return -1;
    const c = buf[i++]!;
    seconds += (c & 0x7f) * scale;
    if (c < 0x80) break;
  }
  if (i >= end || buf[i++] !== 0x10) return -1;
  // Nanos: any varint of at most 10 bytes that ends the message (read and ignored, as gogo does).
  const nanosEnd = i + 10;
  while (i < end && i < nanosEnd && buf[i]! >= 0x80) i++;
  return i === end - 1 && i < nanosEnd ? seconds : -1;
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
