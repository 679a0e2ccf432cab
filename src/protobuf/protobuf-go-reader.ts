/**
 * Reading as protobuf-go does (`encoding/protowire` and its unmarshal loop), for the messages the
 * apiserver decodes with it (KMS v2 EncryptedObject, the KMS plugin replies): its acceptance rules
 * decide which damaged values still read, so a generic library's leniency or strictness would
 * change outcomes. Failures are null or -1; protobuf-go reports them all with one text, which the
 * caller words.
 */
import { decodeVarint } from './varint.ts';
import { WIRE_BYTES, WIRE_END_GROUP, WIRE_FIXED32, WIRE_FIXED64, WIRE_START_GROUP, WIRE_VARINT } from './wire.ts';

/** protobuf-go's DefaultRecursionLimit, which bounds nested groups inside skipped fields. */
const MAX_GROUP_DEPTH = 10_000;

/** A uint64 varint as two uint32 halves, plus the bytes it took. */
export interface Varint {
  lo: number;
  hi: number;
  n: number;
}

/** protowire.ConsumeVarint: null when truncated or when the 10th byte is above 1 (overflow). */
export function consumeVarint(b: Uint8Array, pos: number): Varint | null {
  const v: Varint = { lo: 0, hi: 0, n: 0 };
  const end = decodeVarint(b, pos, v);
  if (end < 0 || (end - pos === 10 && b[end - 1]! > 1)) return null;
  v.n = end - pos;
  return v;
}

/** protowire.ConsumeBytes: the payload's [start, end) and the bytes taken, or null. */
export function consumeBytes(b: Uint8Array, pos: number): { start: number; end: number; n: number } | null {
  const len = consumeVarint(b, pos);
  if (len === null || len.hi !== 0) return null;
  const start = pos + len.n;
  if (len.lo > b.length - start) return null;
  return { start, end: start + len.lo, n: len.n + len.lo };
}

/**
 * A message-level tag: field numbers 1..2^29-1 only (top level and map entries check this; the
 * looser group-level rule is in consumeFieldValue).
 */
export function consumeFieldTag(b: Uint8Array, pos: number): { num: number; typ: number; n: number } | null {
  const t = consumeVarint(b, pos);
  if (t === null || t.hi !== 0 || t.lo >>> 3 === 0) return null;
  return { num: t.lo >>> 3, typ: t.lo & 7, n: t.n };
}

/** protowire.ConsumeTag inside groups: any number from 1 to MaxInt32. */
function consumeGroupTag(b: Uint8Array, pos: number): { num: number; typ: number; n: number } | null {
  const t = consumeVarint(b, pos);
  if (t === null || t.hi >= 4) return null;
  const num = t.hi * 2 ** 29 + (t.lo >>> 3);
  if (num === 0) return null;
  return { num, typ: t.lo & 7, n: t.n };
}

function consumeScalar(typ: number, b: Uint8Array, pos: number): number {
  switch (typ) {
    case WIRE_VARINT:
      return consumeVarint(b, pos)?.n ?? -1;
    case WIRE_FIXED64:
      return pos + 8 <= b.length ? 8 : -1;
    case WIRE_FIXED32:
      return pos + 4 <= b.length ? 4 : -1;
    case WIRE_BYTES:
      return consumeBytes(b, pos)?.n ?? -1;
    default:
      // a stray end-group, or the reserved wire types 6 and 7
      return -1;
  }
}

/**
 * protowire.ConsumeFieldValue: the length of the value of an unknown (or wrongly typed) field,
 * or -1. Groups are walked with an explicit stack so deep nesting cannot overflow ours.
 */
export function consumeFieldValue(num: number, typ: number, b: Uint8Array, pos: number): number {
  const open: number[] = [];
  let p = pos;
  let curNum = num;
  let curTyp = typ;
  for (;;) {
    if (curTyp === WIRE_START_GROUP) {
      if (open.length > MAX_GROUP_DEPTH) return -1;
      open.push(curNum);
    } else {
      const n = consumeScalar(curTyp, b, p);
      if (n < 0) return -1;
      p += n;
    }
    for (;;) {
      if (open.length === 0) return p - pos;
      const t = consumeGroupTag(b, p);
      if (t === null) return -1;
      p += t.n;
      if (t.typ !== WIRE_END_GROUP) {
        curNum = t.num;
        curTyp = t.typ;
        break;
      }
      if (open.pop() !== t.num) return -1;
    }
  }
}

/** What a field visitor does with a field: take it (it was read), or leave it to be skipped as unknown. */
export interface GoFieldVisitor {
  /** A length-delimited field's payload (a view); true if taken. */
  bytes?(num: number, value: Uint8Array): boolean;
  /** A varint field as uint32 halves; true if taken. */
  varint?(num: number, lo: number, hi: number): boolean;
}

/**
 * protobuf-go's unmarshal loop over one message: fields in wire order (so the last occurrence of a
 * scalar wins), known fields of the wrong wire type skipped like unknown ones. False when the data
 * is not valid wire format; the visitor's own errors (e.g. invalid UTF-8) propagate as thrown.
 */
export function walkGoMessage(b: Uint8Array, visit: GoFieldVisitor): boolean {
  let p = 0;
  while (p < b.length) {
    const tag = consumeFieldTag(b, p);
    if (tag === null) return false;
    p += tag.n;
    let n = -1;
    if (tag.typ === WIRE_BYTES && visit.bytes !== undefined) {
      const r = consumeBytes(b, p);
      if (r === null) return false;
      if (visit.bytes(tag.num, b.subarray(r.start, r.end))) n = r.n;
    } else if (tag.typ === WIRE_VARINT && visit.varint !== undefined) {
      const v = consumeVarint(b, p);
      if (v === null) return false;
      if (visit.varint(tag.num, v.lo, v.hi)) n = v.n;
    }
    if (n < 0) n = consumeFieldValue(tag.num, tag.typ, b, p);
    if (n < 0) return false;
    p += n;
  }
  return true;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a leading BOM is data here

/** A proto3 string field: protobuf-go refuses the whole message when one is not UTF-8 (null here). */
export function goProtoString(b: Uint8Array): string | null {
  try {
    return strictUtf8.decode(b);
  } catch {
    return null;
  }
}

/**
 * Adds one map<string, bytes> entry to `into` (a later duplicate key replaces an earlier one): an
 * absent key is "", an absent value is empty. False if the entry is not valid wire format.
 */
export function readGoMapEntry(entry: Uint8Array, into: Record<string, Uint8Array>, decodeKey: (b: Uint8Array) => string): boolean {
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  const ok = walkGoMessage(entry, {
    bytes(num, v) {
      if (num === 1) key = decodeKey(v);
      else if (num === 2) value = v;
      return num === 1 || num === 2;
    },
  });
  if (ok) into[key] = value;
  return ok;
}
