/**
 * The protobuf wire types, and the writer: messages written as both gogo and protobuf-go write
 * them. src/protobuf/ owns protobuf reading and writing for every layer; the readers are
 * gogo-reader.ts (gogo's rules) and protobuf-go-reader.ts (protobuf-go's), and each layer only
 * words their failures as its upstream does.
 */
import { compareBytes, utf8 } from '../bytes.ts';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

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
