/**
 * The protobuf wire format, read with the checks gogo-generated Unmarshal code makes (etcd's
 * mvccpb/etcdserverpb, the apiserver's Secret and ConfigMap) and written as both gogo and
 * protobuf-go write it. Our own rather than protobufjs' Reader/Writer: int64 must be exact without
 * the optional `long` package, and each layer words failures as its upstream does, so the reader
 * only says which kind of failure it met and the layer builds the error.
 * protobuf-go's more lenient reading (KMS messages) is in protowire.ts.
 */
import { compareBytes, utf8 } from '../bytes.ts';
import { decodeVarint, type Halves, uint64FromHalves, VARINT_TRUNCATED } from './varint.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

export type WireFault = 'eof' | 'overflow' | 'negative-length' | 'end-of-group' | 'wire-type';

/** gogo's text for each fault, without the `proto: ` prefix that all but io.ErrUnexpectedEOF carry. */
export function gogoFaultText(fault: WireFault, wireType: number): string {
  switch (fault) {
    case 'eof':
      return 'unexpected EOF';
    case 'overflow':
      return 'integer overflow';
    case 'negative-length':
      return 'negative length found during unmarshaling';
    case 'end-of-group':
      return 'unexpected end of group';
    case 'wire-type':
      return `illegal wireType ${wireType}`;
  }
}

export abstract class GogoReader {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}

  /**
   * The layer's error for a fault met while reading `label` (a field name, `tag`, or `unknown field
   * N`); `wireType` is the offending one for 'wire-type'.
   */
  protected abstract fault(fault: WireFault, label: string, wireType: number): Error;

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** The last varint read, as uint32 halves (a field, so reading one allocates nothing). */
  private readonly v: Halves = { lo: 0, hi: 0 };

  /** Reads one varint into this.v: at most 10 bytes, any tenth byte, as gogo reads them. */
  private varint(label: string): void {
    const end = decodeVarint(this.buf, this.pos, this.v);
    if (end < 0) throw this.fault(end === VARINT_TRUNCATED ? 'eof' : 'overflow', label, 0);
    this.pos = end;
  }

  /** A uint64 varint, exact. */
  uint64(label: string): bigint {
    this.varint(label);
    return uint64FromHalves(this.v.lo, this.v.hi);
  }

  /** An int64 varint as a number: exact below 2^53, negatives from two's complement. */
  int64(label: string): number {
    this.varint(label);
    const hi = this.v.hi | 0;
    return hi === 0 ? this.v.lo : hi * 0x100000000 + this.v.lo;
  }

  /** A field tag as Go splits it: the field number truncated to int32 (so it may be <= 0), and the wire type. */
  tag(label = 'tag'): { field: number; wire: number } {
    this.varint(label);
    return { field: (this.v.lo >>> 3) | (this.v.hi << 29), wire: this.v.lo & 7 };
  }

  /** A length-delimited value, as a view into the buffer. */
  bytes(label: string): Uint8Array {
    this.varint(label);
    // Go reads the length as an int64: bit 63 makes it negative.
    if (this.v.hi >= 0x80000000) throw this.fault('negative-length', label, 0);
    const len = this.v.hi * 0x100000000 + this.v.lo;
    if (len > this.buf.length - this.pos) throw this.fault('eof', label, 0);
    const from = this.pos;
    this.pos += len;
    return this.buf.subarray(from, this.pos);
  }

  /** Skips the value of unknown field `field`, whose tag was just read; groups counted, not matched, as gogo's skip does. */
  skip(wire: number, field: number): void {
    const label = `unknown field ${field}`;
    let depth = 0;
    for (;;) {
      switch (wire) {
        case WIRE_VARINT:
          this.varint(label);
          break;
        case WIRE_FIXED64:
          this.fixed(8, label);
          break;
        case WIRE_BYTES:
          this.bytes(label);
          break;
        case WIRE_START_GROUP:
          depth++;
          break;
        case WIRE_END_GROUP:
          if (depth === 0) throw this.fault('end-of-group', label, wire);
          depth--;
          break;
        case WIRE_FIXED32:
          this.fixed(4, label);
          break;
        default:
          throw this.fault('wire-type', label, wire);
      }
      if (depth === 0) return;
      if (this.done) throw this.fault('eof', label, 0);
      const at = this.pos;
      this.varint(label);
      wire = this.buf[at]! & 7;
    }
  }

  private fixed(n: number, label: string): void {
    if (n > this.buf.length - this.pos) throw this.fault('eof', label, 0);
    this.pos += n;
  }
}

/** Payloads at least this long are kept by reference until finish(), to copy them only once. */
const BIG_PAYLOAD = 128;

export class WireWriter {
  /** Tags, lengths and small payloads; [headStart, len) is what is not yet in `parts`. */
  private head = new Uint8Array(64);
  private headStart = 0;
  private len = 0;
  private readonly parts: Uint8Array[] = [];

  /** A varint; negative values as their 64-bit two's complement (10 bytes), as Go writes int64 and int32. */
  varint(v: bigint | number): this {
    this.room(10);
    const buf = this.head;
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      while (v >= 0x80) {
        buf[this.len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      buf[this.len++] = v;
      return this;
    }
    let x = BigInt(v);
    if (x < 0n) x += 1n << 64n; // not BigInt.asUintN (see varint.ts)
    while (x >= 0x80n) {
      buf[this.len++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    buf[this.len++] = Number(x);
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint(field * 8 + wire);
  }

  /** A length-delimited field, written even when empty (gogo's non-nullable fields). */
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, WIRE_BYTES).varint(b.length);
    if (b.length >= BIG_PAYLOAD) {
      this.parts.push(this.head.subarray(this.headStart, this.len), b);
      this.headStart = this.len;
      return this;
    }
    this.room(b.length);
    this.head.set(b, this.len);
    this.len += b.length;
    return this;
  }

  /** proto3 bytes or string: left out when empty. */
  optionalBytes(field: number, b: Uint8Array): this {
    return b.length === 0 ? this : this.bytes(field, b);
  }

  /** proto3 integer: left out when zero. */
  optionalVarint(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, WIRE_VARINT).varint(v);
  }

  /**
   * A proto3 map<string, bytes>, each entry with both key and value as protobuf-go writes them. Go
   * writes entries in random order; we write them in key byte order, which reads the same.
   */
  stringBytesMap(field: number, m: Record<string, Uint8Array> | undefined): this {
    const entries = Object.keys(m ?? {}).map((k) => ({ key: utf8(k), value: m![k]! }));
    entries.sort((a, b) => compareBytes(a.key, b.key));
    for (const { key, value } of entries) this.bytes(field, new WireWriter().bytes(1, key).bytes(2, value).finish());
    return this;
  }

  /** The message; payloads passed to bytes() must not change before this. */
  finish(): Uint8Array {
    if (this.parts.length === 0) return this.head.slice(0, this.len);
    this.parts.push(this.head.subarray(this.headStart, this.len));
    let size = 0;
    for (const p of this.parts) size += p.length;
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private room(n: number): void {
    if (this.len + n <= this.head.length) return;
    // views already in `parts` keep the old buffer alive, so a plain copy is enough
    const grown = new Uint8Array(Math.max(this.head.length * 2, this.len + n));
    grown.set(this.head.subarray(0, this.len));
    this.head = grown;
  }
}
