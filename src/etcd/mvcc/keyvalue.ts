import { WIRE_END_GROUP, WIRE_VARINT, WireWriter } from '../../protobuf/wire.ts';
import { EtcdWireError, EtcdWireReader } from '../wire-reader.ts';

/** mvccpb.KeyValue (proto/mvcc.proto); the int64 fields as numbers. */
export interface KeyValue {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  lease: number;
  /** The lease ID exactly (lease IDs are random int64s, often above 2^53); set when the lease is not 0. */
  leaseId?: bigint;
}

/** A value that does not decode, with the key when the key field came before the damage. */
export class KeyValueDecodeError extends Error {
  constructor(
    message: string,
    readonly key: Uint8Array | undefined,
  ) {
    super(message);
  }
}

const INT_FIELDS = ['', 'Key', 'CreateRevision', 'ModRevision', 'Version', 'Value', 'Lease'] as const;

/**
 * Decodes as etcd's gogo-generated KeyValue.Unmarshal does: unknown fields skipped, a known field
 * with the wrong wire type an error. `key` and `value` are views into `buf`.
 */
export function decodeKeyValue(buf: Uint8Array): KeyValue {
  const r = new EtcdWireReader(buf);
  const kv: KeyValue = {
    key: new Uint8Array(0),
    createRevision: 0,
    modRevision: 0,
    version: 0,
    value: new Uint8Array(0),
    lease: 0,
  };
  let sawKey = false;
  try {
    while (!r.done) {
      const { field, wire: wireType } = r.tag();
      if (wireType === WIRE_END_GROUP) throw new EtcdWireError('proto: KeyValue: wiretype end group for non-group');
      if (field <= 0) throw new EtcdWireError(`proto: KeyValue: illegal tag ${field} (wire type ${wireType})`);
      const name = INT_FIELDS[field];
      if (name === undefined) {
        r.skip(wireType, field);
        continue;
      }
      const want = field === 1 || field === 5 ? 2 : 0;
      if (wireType !== want) throw new EtcdWireError(`proto: wrong wireType = ${wireType} for field ${name}`);
      switch (field) {
        case 1:
          kv.key = r.bytes(name);
          sawKey = true;
          break;
        case 2:
          kv.createRevision = r.int64(name);
          break;
        case 3:
          kv.modRevision = r.int64(name);
          break;
        case 4:
          kv.version = r.int64(name);
          break;
        case 5:
          kv.value = r.bytes(name);
          break;
        case 6: {
          const id = BigInt.asIntN(64, r.uint64(name));
          kv.lease = Number(id);
          if (id !== 0n) kv.leaseId = id;
          else delete kv.leaseId;
          break;
        }
      }
    }
  } catch (e) {
    if (e instanceof EtcdWireError) throw new KeyValueDecodeError(e.message, sawKey ? kv.key : undefined);
    throw e;
  }
  return kv;
}

/**
 * Encodes as etcd's gogo-generated KeyValue.Marshal does: fields in number order, proto3 zero
 * values left out. The lease as `leaseId` when set (exact), else `lease`.
 */
export function encodeKeyValue(kv: KeyValue): Uint8Array {
  const w = new WireWriter()
    .optionalBytes(1, kv.key)
    .optionalVarint(2, kv.createRevision)
    .optionalVarint(3, kv.modRevision)
    .optionalVarint(4, kv.version)
    .optionalBytes(5, kv.value);
  const lease = kv.leaseId ?? BigInt(kv.lease);
  if (lease !== 0n) w.tag(6, WIRE_VARINT).varint(lease);
  return w.finish();
}
