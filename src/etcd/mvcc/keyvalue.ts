import { WireError, WireReader } from '../protowire.ts';

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
  const r = new WireReader(buf);
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
      const wire = r.varint();
      const wireType = wire & 7;
      const field = Math.floor(wire / 8);
      if (wireType === 4) throw new WireError('proto: KeyValue: wiretype end group for non-group');
      if (field <= 0 || field > 0x7fffffff) {
        throw new WireError(`proto: KeyValue: illegal tag ${field | 0} (wire type ${wireType})`);
      }
      const name = INT_FIELDS[field];
      if (name === undefined) {
        r.skip(wireType);
        continue;
      }
      const want = field === 1 || field === 5 ? 2 : 0;
      if (wireType !== want) throw new WireError(`proto: wrong wireType = ${wireType} for field ${name}`);
      switch (field) {
        case 1:
          kv.key = r.bytes();
          sawKey = true;
          break;
        case 2:
          kv.createRevision = r.varint();
          break;
        case 3:
          kv.modRevision = r.varint();
          break;
        case 4:
          kv.version = r.varint();
          break;
        case 5:
          kv.value = r.bytes();
          break;
        case 6:
          kv.lease = r.varint();
          break;
      }
    }
  } catch (e) {
    if (e instanceof WireError) throw new KeyValueDecodeError(e.message, sawKey ? kv.key : undefined);
    throw e;
  }
  return kv;
}
