/**
 * The wire format of the KMS plugin messages (proto/kms/*.proto), read with protobuf-go's rules
 * as the apiserver's gRPC client reads them (src/protobuf/protobuf-go-reader.ts). Every field of every one
 * of them is length-delimited (string, bytes, map<string,bytes>).
 */
import { goProtoString, readGoMapEntry, walkGoMessage } from '../protobuf/protobuf-go-reader.ts';

/** Thrown from a message decoder; grpc-js turns it into an INTERNAL status. */
export class KmsWireError extends Error {}

/**
 * Calls `visit` for each length-delimited field, in wire order (so the last occurrence wins for
 * scalars), with a copy of its payload. Fields of another wire type are skipped, as protobuf-go
 * skips a known field with the wrong wire type.
 */
export function forEachField(buf: Uint8Array, visit: (field: number, value: Uint8Array) => void): void {
  const ok = walkGoMessage(buf, {
    bytes(num, v) {
      // a copy, so what a caller keeps does not hold on to or share the reply buffer grpc-js owns
      visit(num, v.slice());
      return true;
    },
  });
  if (!ok) throw new KmsWireError('proto: cannot parse invalid wire-format data');
}

/** proto3 strings must be UTF-8; protobuf-go refuses the whole message otherwise. */
export function protoString(b: Uint8Array): string {
  const s = goProtoString(b);
  if (s === null) throw new KmsWireError('string field contains invalid UTF-8');
  return s;
}

/** Adds one map<string,bytes> entry to `into` (a later duplicate key replaces an earlier one). */
export function readMapEntry(entry: Uint8Array, into: Record<string, Uint8Array>): void {
  if (!readGoMapEntry(entry, into, protoString)) throw new KmsWireError('proto: cannot parse invalid wire-format data');
}
