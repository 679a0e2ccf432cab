/**
 * The protobuf wire format of the KMS plugin messages (proto/kms/*.proto). Every field of
 * every one of them is length-delimited (string, bytes, map<string,bytes>), so one reader and
 * one writer cover both API versions.
 */
import protobuf from 'protobufjs/minimal.js';
import { compareBytes, fromUtf8, isValidUtf8, utf8 } from '../bytes.ts';

const LENGTH_DELIMITED = 2;

/** Thrown from a message decoder; grpc-js turns it into an INTERNAL status. */
export class WireError extends Error {}

/**
 * Calls `visit` for each length-delimited field, in wire order (so the last occurrence wins for
 * scalars). Fields of another wire type are skipped, as protobuf-go skips a known field with the
 * wrong wire type.
 */
export function forEachField(buf: Uint8Array, visit: (field: number, value: Uint8Array) => void): void {
  const r = protobuf.Reader.create(buf);
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 0) throw new WireError('proto: cannot parse invalid wire-format data');
      if ((tag & 7) === LENGTH_DELIMITED) visit(field, new Uint8Array(r.bytes()));
      else r.skipType(tag & 7);
    }
  } catch (e) {
    if (e instanceof WireError) throw e;
    // protobufjs reports truncation as RangeError "index out of range"; say it as protobuf-go does.
    throw new WireError('proto: cannot parse invalid wire-format data');
  }
}

/** proto3 strings must be UTF-8; protobuf-go refuses the whole message otherwise. */
export function protoString(b: Uint8Array): string {
  if (!isValidUtf8(b)) throw new WireError('string field contains invalid UTF-8');
  return fromUtf8(b);
}

/** Adds one map<string,bytes> entry to `into` (a later duplicate key replaces an earlier one). */
export function readMapEntry(entry: Uint8Array, into: Record<string, Uint8Array>): void {
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  forEachField(entry, (field, v) => {
    if (field === 1) key = protoString(v);
    else if (field === 2) value = v;
  });
  into[key] = value;
}

/** A proto3 message: fields in number order, empty strings and bytes left out. */
export class MessageWriter {
  private readonly w = protobuf.Writer.create();

  string(field: number, s: string): this {
    return this.bytes(field, utf8(s));
  }

  bytes(field: number, b: Uint8Array): this {
    if (b.length > 0) this.w.uint32((field << 3) | LENGTH_DELIMITED).bytes(b);
    return this;
  }

  /** Entries in key byte order (Go's is random); each writes both key and value, as protobuf-go does. */
  map(field: number, m: Record<string, Uint8Array> | undefined): this {
    const entries = Object.entries(m ?? {}).map(([k, v]) => ({ k: utf8(k), v }));
    entries.sort((a, b) => compareBytes(a.k, b.k));
    for (const { k, v } of entries) {
      this.w.uint32((field << 3) | LENGTH_DELIMITED).fork();
      this.w.uint32((1 << 3) | LENGTH_DELIMITED).bytes(k);
      this.w.uint32((2 << 3) | LENGTH_DELIMITED).bytes(v);
      this.w.ldelim();
    }
    return this;
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}
