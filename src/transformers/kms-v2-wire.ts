/**
 * The protobuf wire primitives EncryptedObject needs, with protobuf-go's exact acceptance rules
 * (`encoding/protowire`): they decide which damaged values the apiserver still reads, so a generic
 * protobuf library's leniency or strictness would change outcomes.
 */
import { K8sEncError } from '../errors.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

/** protobuf-go's DefaultRecursionLimit, which bounds nested groups inside skipped fields. */
const MAX_GROUP_DEPTH = 10_000;

/** protobuf-go writes a space or U+00A0 after `proto:`, fixed per binary; we emit the space form. */
export function errInvalidWireFormat(): K8sEncError {
  return new K8sEncError('ERR_KMS_DATA', 'proto: cannot parse invalid wire-format data');
}

/** A uint64 varint as two uint32 halves, plus the bytes it took. */
export interface Varint {
  lo: number;
  hi: number;
  n: number;
}

/** protowire.ConsumeVarint: null when truncated or when the 10th byte is above 1 (overflow). */
export function consumeVarint(b: Uint8Array, pos: number): Varint | null {
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    const x = b[pos + i];
    if (x === undefined) return null;
    if (i === 9 && x > 1) return null;
    const bits = x & 0x7f;
    const shift = 7 * i;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= bits << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if (x < 0x80) return { lo: lo >>> 0, hi: hi >>> 0, n: i + 1 };
  }
  return null;
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

/** Appends a uint64 varint given as two uint32 halves. */
export function appendVarint(out: number[], lo: number, hi = 0): void {
  let l = lo >>> 0;
  let h = hi >>> 0;
  while (h !== 0 || l > 0x7f) {
    out.push((l & 0x7f) | 0x80);
    l = ((l >>> 7) | (h << 25)) >>> 0;
    h = h >>> 7;
  }
  out.push(l);
}
