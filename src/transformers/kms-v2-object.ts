/**
 * The KMS v2 stored value after `k8s:enc:kms:v2:<name>:`: a protobuf EncryptedObject
 * (proto/kmsv2.proto), decoded as leniently as protobuf-go and written as the Go writer writes it.
 */
import { utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { goProtoString, readGoMapEntry, walkGoMessage } from '../protobuf/protobuf-go-reader.ts';
import { WireWriter } from '../protobuf/wire.ts';

export { validateEncryptedObject } from './kms-v2-validate.ts';

/**
 * The KMS v2 envelope stored after `k8s:enc:kms:v2:<name>:` (proto/kmsv2.proto): the data
 * encrypted with a DEK, plus what the plugin needs to recover that DEK.
 */
export interface EncryptedObject {
  encryptedData: Uint8Array;
  keyID: string;
  encryptedDEKSource: Uint8Array;
  /** Keys are UTF-8 strings; a null-prototype object, so a key like `__proto__` is just a key. */
  annotations: Record<string, Uint8Array>;
  /** 0 AES_GCM_KEY, 1 HKDF_SHA256_XNONCE_AES_GCM_SEED; any other int32 fails validation. */
  encryptedDEKSourceType: number;
}

/**
 * `encryptedDEKSourceType` 0: `encryptedDEKSource` is the plugin-encrypted AES-GCM DEK itself.
 */
export const AES_GCM_KEY = 0;
/**
 * `encryptedDEKSourceType` 1: `encryptedDEKSource` is a plugin-encrypted seed from which each
 * value's AES-GCM key is derived with HKDF-SHA256 and an extended nonce.
 */
export const HKDF_SHA256_XNONCE_AES_GCM_SEED = 1;

const FIELD_ENCRYPTED_DATA = 1;
const FIELD_KEY_ID = 2;
const FIELD_ENCRYPTED_DEK_SOURCE = 3;
const FIELD_ANNOTATIONS = 4;
const FIELD_ENCRYPTED_DEK_SOURCE_TYPE = 5;

/** protobuf-go writes a space or U+00A0 after `proto:`, fixed per binary; we emit the space form. */
function errInvalidWireFormat(): K8sEncError {
  return new K8sEncError('ERR_KMS_DATA', 'proto: cannot parse invalid wire-format data');
}

function decodeString(b: Uint8Array): string {
  const s = goProtoString(b);
  // protobuf-go's errInvalidUTF8 carries no `proto:` prefix
  if (s === null) throw new K8sEncError('ERR_KMS_DATA', 'string field contains invalid UTF-8');
  return s;
}

/**
 * proto.Unmarshal into EncryptedObject: fields in any order, the last occurrence wins (map keys
 * too), unknown fields and known fields with the wrong wire type are skipped, the enum is
 * truncated to int32. Byte fields are views into `b`.
 */
export function decodeEncryptedObject(b: Uint8Array): EncryptedObject {
  const o: EncryptedObject = {
    encryptedData: new Uint8Array(0),
    keyID: '',
    encryptedDEKSource: new Uint8Array(0),
    annotations: Object.create(null) as Record<string, Uint8Array>,
    encryptedDEKSourceType: 0,
  };
  const ok = walkGoMessage(b, {
    bytes(num, v) {
      if (num === FIELD_ENCRYPTED_DATA) o.encryptedData = v;
      else if (num === FIELD_KEY_ID) o.keyID = decodeString(v);
      else if (num === FIELD_ENCRYPTED_DEK_SOURCE) o.encryptedDEKSource = v;
      else if (num === FIELD_ANNOTATIONS) {
        if (!readGoMapEntry(v, o.annotations, decodeString)) throw errInvalidWireFormat();
      } else return false;
      return true;
    },
    varint(num, lo) {
      if (num !== FIELD_ENCRYPTED_DEK_SOURCE_TYPE) return false;
      o.encryptedDEKSourceType = lo | 0; // Go's SetInt on an int32 enum keeps the low 32 bits
      return true;
    },
  });
  if (!ok) throw errInvalidWireFormat();
  return o;
}

/**
 * proto.Marshal of EncryptedObject: fields in number order, proto3 zero values omitted (an int32
 * enum written as its sign-extended int64), map entries in key byte order.
 */
export function encodeEncryptedObject(o: EncryptedObject): Uint8Array {
  return new WireWriter()
    .optionalBytes(FIELD_ENCRYPTED_DATA, o.encryptedData)
    .optionalBytes(FIELD_KEY_ID, utf8(o.keyID))
    .optionalBytes(FIELD_ENCRYPTED_DEK_SOURCE, o.encryptedDEKSource)
    .stringBytesMap(FIELD_ANNOTATIONS, o.annotations)
    .optionalVarint(FIELD_ENCRYPTED_DEK_SOURCE_TYPE, o.encryptedDEKSourceType)
    .finish();
}
