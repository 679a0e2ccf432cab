import { WIRE_BYTES, WIRE_VARINT, WireWriter } from '../protobuf/wire.ts';
import { EtcdWireError, EtcdWireReader } from './wire-reader.ts';

/** etcdserverpb.RangeRequest (proto/etcd/rpc.proto), the fields a read-only scan sets. */
export interface RangeRequest {
  key: Uint8Array;
  rangeEnd?: Uint8Array;
  limit?: number;
  revision?: number;
  countOnly?: boolean;
}

export interface RangeResponse {
  revision: number;
  /** Raw mvccpb.KeyValue messages, decoded one by one so a bad one is a per-entry error. */
  kvs: Uint8Array[];
  more: boolean;
  count: number;
}

export function encodeRangeRequest(req: RangeRequest): Uint8Array {
  return new WireWriter()
    .optionalBytes(1, req.key)
    .optionalBytes(2, req.rangeEnd ?? new Uint8Array(0))
    .optionalVarint(3, req.limit ?? 0)
    .optionalVarint(4, req.revision ?? 0)
    .optionalVarint(9, req.countOnly === true ? 1 : 0)
    .finish();
}

export function decodeRangeResponse(buf: Uint8Array): RangeResponse {
  const out: RangeResponse = { revision: 0, kvs: [], more: false, count: 0 };
  const r = new EtcdWireReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) out.revision = headerRevision(r.bytes('Header'));
    else if (field === 2 && wire === WIRE_BYTES) out.kvs.push(r.bytes('Kvs'));
    else if (field === 3 && wire === WIRE_VARINT) out.more = r.int64('More') !== 0;
    else if (field === 4 && wire === WIRE_VARINT) out.count = r.int64('Count');
    else if (field >= 1 && field <= 4) throw new EtcdWireError(`proto: wrong wireType = ${wire} for field ${field}`);
    else r.skip(wire, field);
  }
  return out;
}

function headerRevision(buf: Uint8Array): number {
  const r = new EtcdWireReader(buf);
  let revision = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 3 && wire === WIRE_VARINT) revision = r.int64('Revision');
    else r.skip(wire, field);
  }
  return revision;
}

/**
 * etcd's GetPrefixRangeEnd: the smallest key above every key starting with `prefix`; "\0" (all keys
 * from `key` on) when there is none, e.g. for an empty prefix.
 */
export function prefixRangeEnd(prefix: Uint8Array): Uint8Array {
  const end = prefix.slice();
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i]!++;
      return end.subarray(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
