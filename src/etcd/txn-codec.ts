/**
 * etcdserverpb.TxnRequest/TxnResponse (etcd api/etcdserverpb/rpc.proto), the one shape a rewrite
 * sends: "if every key's mod_revision is still the one we read, put the new values (same lease),
 * else range those keys" — so a lost race costs no extra round trip to learn the current values.
 */
import { WIRE_BYTES, WIRE_VARINT, WireWriter } from '../protobuf/wire.ts';
import { EtcdWireError, EtcdWireReader } from './wire-reader.ts';
import { decodeRangeResponse, encodeRangeRequest, type RangeResponse } from './rpc-codec.ts';

export interface GuardedPut {
  key: Uint8Array;
  /** The mod_revision the value was read at; the put happens only if the key still has it. */
  modRevision: number;
  value: Uint8Array;
  /** The key's lease ID, kept by the put (0: none). */
  lease: bigint;
}

export interface TxnResult {
  succeeded: boolean;
  revision: number;
  /** When not succeeded: per put, in order, the key's current state (a RangeResponse). */
  ranges: RangeResponse[];
}

// Compare.CompareResult EQUAL and Compare.CompareTarget MOD.
const EQUAL = 0;
const TARGET_MOD = 2;

export function encodeGuardedPuts(puts: readonly GuardedPut[]): Uint8Array {
  const w = new WireWriter();
  for (const p of puts) {
    // mod_revision sits in a oneof: written even when 0, as gogo writes a set oneof field.
    const compare = new WireWriter()
      .optionalVarint(1, EQUAL)
      .optionalVarint(2, TARGET_MOD)
      .bytes(3, p.key)
      .tag(6, WIRE_VARINT)
      .varint(p.modRevision)
      .finish();
    w.bytes(1, compare);
  }
  for (const p of puts) {
    const put = new WireWriter().bytes(1, p.key).optionalBytes(2, p.value);
    if (p.lease !== 0n) put.tag(3, WIRE_VARINT).varint(p.lease);
    w.bytes(2, new WireWriter().bytes(2, put.finish()).finish()); // RequestOp.request_put
  }
  for (const p of puts) w.bytes(3, new WireWriter().bytes(1, encodeRangeRequest({ key: p.key })).finish()); // RequestOp.request_range
  return w.finish();
}

export function decodeTxnResponse(buf: Uint8Array): TxnResult {
  const out: TxnResult = { succeeded: false, revision: 0, ranges: [] };
  const r = new EtcdWireReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) out.revision = decodeRangeResponse(headerAsRange(r.bytes('Header'))).revision;
    else if (field === 2 && wire === WIRE_VARINT) out.succeeded = r.int64('Succeeded') !== 0;
    else if (field === 3 && wire === WIRE_BYTES) {
      const range = responseRange(r.bytes('Responses'));
      if (range !== null) out.ranges.push(range);
    } else if (field >= 1 && field <= 3) throw new EtcdWireError(`proto: wrong wireType = ${wire} for field ${field}`);
    else r.skip(wire, field);
  }
  return out;
}

/** A ResponseHeader wrapped as RangeResponse field 1, so the range decoder's header reading serves both. */
function headerAsRange(header: Uint8Array): Uint8Array {
  return new WireWriter().bytes(1, header).finish();
}

/** ResponseOp.response_range, or null for the other kinds (puts answer with a header only). */
function responseRange(buf: Uint8Array): RangeResponse | null {
  const r = new EtcdWireReader(buf);
  let range: RangeResponse | null = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) range = decodeRangeResponse(r.bytes('ResponseRange'));
    else r.skip(wire, field);
  }
  return range;
}
