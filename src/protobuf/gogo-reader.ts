/**
 * Reading the protobuf wire format with the checks gogo-generated Unmarshal code makes (etcd's
 * mvccpb/etcdserverpb, the apiserver's Secret and ConfigMap). Our own rather than protobufjs'
 * Reader: int64 must be exact without the optional `long` package, and each layer words failures
 * as its upstream does, so this reader only says which kind of failure it met and the layer's
 * subclass builds the error (etcd/wire-reader.ts, storage/wire-reader.ts). protobuf-go's more
 * lenient reading (KMS messages) is in protobuf-go-reader.ts.
 */
import { decodeVarint, type Halves, uint64FromHalves, VARINT_TRUNCATED } from './varint.ts';
import { WIRE_BYTES, WIRE_END_GROUP, WIRE_FIXED32, WIRE_FIXED64, WIRE_START_GROUP, WIRE_VARINT } from './wire.ts';

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
  pos: number;
  /**
   * Reads the message in `buf` from `start` to `end`: a message inside a bigger buffer is read in
   * place, without a view of its own.
   */
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /**
   * The layer's error for a fault met while reading `label` (a field name, `tag`, or `unknown field
   * N`); `wireType` is the offending one for 'wire-type'.
   */
  protected abstract fault(fault: WireFault, label: string, wireType: number): Error;

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** The last varint read, as uint32 halves (a field, so reading one allocates nothing). */
  private readonly v: Halves = { lo: 0, hi: 0 };

  /** Reads one varint into this.v: at most 10 bytes, any tenth byte, as gogo reads them. */
  private varint(label: string): void {
    const end = decodeVarint(this.buf, this.pos, this.v, this.end);
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
    const from = this.lengthDelimited(label);
    return this.buf.subarray(from, this.pos);
  }

  /** A length-delimited value left in place: returns where it starts; `pos` is then where it ends. */
  lengthDelimited(label: string): number {
    this.varint(label);
    // Go reads the length as an int64: bit 63 makes it negative.
    if (this.v.hi >= 0x80000000) throw this.fault('negative-length', label, 0);
    const len = this.v.hi * 0x100000000 + this.v.lo;
    if (len > this.end - this.pos) throw this.fault('eof', label, 0);
    const from = this.pos;
    this.pos += len;
    return from;
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
    if (n > this.end - this.pos) throw this.fault('eof', label, 0);
    this.pos += n;
  }
}
