/**
 * The protobuf wire format as gogo-generated Unmarshal code reads it (etcd's mvccpb, etcdserverpb):
 * the same checks and the same error texts, so a broken value reads as it would in etcd.
 */
export class WireError extends Error {}

export const ERR_UNEXPECTED_EOF = 'unexpected EOF';
export const ERR_INT_OVERFLOW = 'proto: integer overflow';
export const ERR_NEGATIVE_LENGTH = 'proto: negative length found during unmarshaling';

export class WireReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as a JS number: exact below 2^53, two's complement negatives for int64 fields. */
  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift >= 64) throw new WireError(ERR_INT_OVERFLOW);
      if (this.pos >= this.buf.length) throw new WireError(ERR_UNEXPECTED_EOF);
      const b = this.buf[this.pos++]!;
      if (shift < 28) lo |= (b & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (shift - 32);
      if (b < 0x80) break;
    }
    lo >>>= 0;
    return hi | 0 ? (hi | 0) * 0x100000000 + lo : lo;
  }

  /** A length-delimited field's bytes (a view into the buffer). */
  bytes(): Uint8Array {
    const len = this.varint();
    if (len < 0) throw new WireError(ERR_NEGATIVE_LENGTH);
    const end = this.pos + len;
    if (end > this.buf.length) throw new WireError(ERR_UNEXPECTED_EOF);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** Skips an unknown field of `wireType` (groups included, iteratively), as gogo's skip<Msg> does. */
  skip(wireType: number): void {
    let depth = 0;
    for (;;) {
      switch (wireType) {
        case 0:
          this.varint();
          break;
        case 1:
          this.advance(8);
          break;
        case 2:
          this.bytes();
          break;
        case 3:
          depth++;
          break;
        case 4:
          if (depth === 0) throw new WireError('proto: unexpected end of group');
          depth--;
          break;
        case 5:
          this.advance(4);
          break;
        default:
          throw new WireError(`proto: illegal wireType ${wireType}`);
      }
      if (depth === 0) return;
      wireType = this.varint() & 7;
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.buf.length) throw new WireError(ERR_UNEXPECTED_EOF);
    this.pos += n;
  }
}

/** Appends protobuf fields; only what the read-only etcd client needs to send. */
export class WireWriter {
  private readonly parts: number[] = [];

  varintField(field: number, v: number): this {
    if (v === 0) return this;
    this.varint((field << 3) | 0);
    return this.varint(v);
  }

  bytesField(field: number, b: Uint8Array): this {
    if (b.length === 0) return this;
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }

  private varint(v: number): this {
    // Non-negative values only (keys, limits, revisions): no 10-byte negative encoding needed.
    while (v >= 0x80) {
      this.parts.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.parts.push(v);
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}
