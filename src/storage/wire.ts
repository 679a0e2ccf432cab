/**
 * Protobuf wire primitives with the checks gogo's generated Unmarshal makes. Our own rather than
 * protobufjs' Reader/Writer because int64 must be exact (bigint) without the optional `long`
 * package, and every failure must be a K8sEncError naming the message and field.
 */
import { K8sEncError } from '../errors.ts';

const UINT64_MASK = (1n << 64n) - 1n;

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export function protobufError(where: string, problem: string): K8sEncError {
  return new K8sEncError('ERR_PROTOBUF', `proto: ${where}: ${problem}`);
}

export class WireReader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    /** The message being read, for error messages, e.g. `Secret.metadata (ObjectMeta)`. */
    readonly where: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Up to 10 bytes, as an unsigned 64-bit value; longer varints overflow as they do in gogo. */
  varint(field = 'varint'): bigint {
    const start = this.pos;
    const end = this.scanVarint(field);
    // Plain bigint arithmetic, not BigInt.asUintN: Node 20's optimizing compiler crashes on
    // asUintN values flowing through loops (V8 RepresentationChangerError).
    let result = 0n;
    for (let j = end - 1; j >= start; j--) result = (result << 7n) | BigInt(this.buf[j]! & 0x7f);
    return result & UINT64_MASK;
  }

  /** A varint known to be small (tags, lengths); values past 2^53 come back rounded. */
  private smallVarint(field: string): number {
    const start = this.pos;
    const end = this.scanVarint(field);
    if (end - start > 7) return Number(this.varintAt(start, end));
    let result = 0;
    for (let j = end - 1; j >= start; j--) result = result * 128 + (this.buf[j]! & 0x7f);
    return result;
  }

  private varintAt(start: number, end: number): bigint {
    let result = 0n;
    for (let j = end - 1; j >= start; j--) result = (result << 7n) | BigInt(this.buf[j]! & 0x7f);
    return result & UINT64_MASK;
  }

  /** Advances past one varint and returns its end. */
  private scanVarint(field: string): number {
    for (let n = 0; ; n++) {
      if (n >= 10) throw protobufError(this.where, `${field}: integer overflow`);
      if (this.pos >= this.buf.length) throw protobufError(this.where, `${field}: unexpected EOF`);
      if (this.buf[this.pos++]! < 0x80) return this.pos;
    }
  }

  tag(): { field: number; wire: number } {
    const start = this.pos;
    const end = this.scanVarint('tag');
    const v = this.varintAt(start, end);
    const wire = Number(v & 7n);
    // Go truncates the field number to int32; anything that is not positive is illegal.
    const low = Number((v >> 3n) & 0xffffffffn);
    const field = low >= 2 ** 31 ? low - 2 ** 32 : low;
    if (wire === WIRE_END_GROUP) throw protobufError(this.where, 'wiretype end group for non-group');
    if (field <= 0) throw protobufError(this.where, `illegal tag ${field} (wire type ${wire})`);
    return { field, wire };
  }

  bytes(field: string): Uint8Array {
    const at = this.pos;
    const len = this.smallVarint(field);
    // Go reads the length as a 64-bit int: bit 63 (the tenth byte's low bit) makes it negative.
    if (this.pos - at === 10 && (this.buf[this.pos - 1]! & 1) === 1) throw protobufError(this.where, `${field}: negative length found during unmarshaling`);
    if (len > this.buf.length - this.pos) throw protobufError(this.where, `${field}: unexpected EOF`);
    const start = this.pos;
    this.pos += len;
    return this.buf.subarray(start, this.pos);
  }

  private tagWire(field: string): number {
    const start = this.pos;
    this.scanVarint(field);
    return this.buf[start]! & 7;
  }

  private fixed(n: number, field: string): void {
    if (this.pos + n > this.buf.length) throw protobufError(this.where, `${field}: unexpected EOF`);
    this.pos += n;
  }

  /** Skips one unknown field (groups included), as gogo's skip function does. */
  skip(wire: number, field: number): void {
    const name = `unknown field ${field}`;
    let depth = 0;
    for (;;) {
      switch (wire) {
        case WIRE_VARINT:
          this.varint(name);
          break;
        case WIRE_FIXED64:
          this.fixed(8, name);
          break;
        case WIRE_BYTES:
          this.bytes(name);
          break;
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) throw protobufError(this.where, `${name}: unexpected end of group`);
          depth--;
          break;
        case WIRE_FIXED32:
          this.fixed(4, name);
          break;
        default:
          throw protobufError(this.where, `illegal wireType ${wire}`);
      }
      if (depth === 0) return;
      if (this.done) throw protobufError(this.where, `${name}: unexpected EOF`);
      wire = this.tagWire(name);
    }
  }
}

export class WireWriter {
  private chunks: number[] = [];

  varint(v: bigint | number): this {
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      while (v >= 0x80) {
        this.chunks.push((v % 0x80) | 0x80);
        v = Math.floor(v / 0x80);
      }
      this.chunks.push(v);
      return this;
    }
    // Two's complement for negatives, without BigInt.asUintN (see WireReader.varint).
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n;
    while (x >= 0x80n) {
      this.chunks.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.chunks.push(Number(x));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_BYTES).varint(b.length);
    for (const x of b) this.chunks.push(x);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
