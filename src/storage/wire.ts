/**
 * Protobuf wire primitives with the checks gogo's generated Unmarshal makes. Our own rather than
 * protobufjs' Reader/Writer because int64 must be exact (bigint) without the optional `long`
 * package, and every failure must be a K8sEncError naming the message and field.
 */
import { K8sEncError } from '../errors.ts';

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
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (shift >= 64n) throw protobufError(this.where, `${field}: integer overflow`);
      if (this.pos >= this.buf.length) throw protobufError(this.where, `${field}: unexpected EOF`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, result);
    }
  }

  tag(): { field: number; wire: number } {
    const v = this.varint('tag');
    const wire = Number(v & 7n);
    // Go truncates the field number to int32; anything that is not positive is illegal.
    const field = Number(BigInt.asIntN(32, v >> 3n));
    if (wire === WIRE_END_GROUP) throw protobufError(this.where, 'wiretype end group for non-group');
    if (field <= 0) throw protobufError(this.where, `illegal tag ${field} (wire type ${wire})`);
    return { field, wire };
  }

  bytes(field: string): Uint8Array {
    const len = BigInt.asIntN(64, this.varint(field));
    if (len < 0n) throw protobufError(this.where, `${field}: negative length found during unmarshaling`);
    if (len > BigInt(this.buf.length - this.pos)) throw protobufError(this.where, `${field}: unexpected EOF`);
    const start = this.pos;
    this.pos += Number(len);
    return this.buf.subarray(start, this.pos);
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
      const v = this.varint(name);
      wire = Number(v & 7n);
    }
  }
}

export class WireWriter {
  private chunks: number[] = [];

  varint(v: bigint | number): this {
    let x = BigInt.asUintN(64, BigInt(v));
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
