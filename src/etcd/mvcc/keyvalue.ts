import { WIRE_END_GROUP } from '../../protobuf/wire.ts';
import { EtcdWireError, EtcdWireReader } from '../wire-reader.ts';

/** mvccpb.KeyValue (proto/mvcc.proto); the int64 fields as numbers. */
export interface KeyValue {
  key: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Uint8Array;
  lease: number;
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
        case 6:
          kv.lease = r.int64(name);
          break;
      }
    }
  } catch (e) {
    if (e instanceof EtcdWireError) throw new KeyValueDecodeError(e.message, sawKey ? kv.key : undefined);
    throw e;
  }
  return kv;
}
