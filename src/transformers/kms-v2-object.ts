/**
 * The KMS v2 stored value after `k8s:enc:kms:v2:<name>:`: a protobuf EncryptedObject
 * (proto/kmsv2.proto), decoded as leniently as protobuf-go and written as the Go writer writes it.
 */
import { K8sEncError } from '../errors.ts';
import { compareBytes, concatBytes, utf8 } from '../bytes.ts';
import {
  WIRE_BYTES,
  WIRE_VARINT,
  appendVarint,
  consumeBytes,
  consumeFieldTag,
  consumeFieldValue,
  consumeVarint,
  errInvalidWireFormat,
} from './kms-v2-wire.ts';

export { validateEncryptedObject } from './kms-v2-validate.ts';

export interface EncryptedObject {
  encryptedData: Uint8Array;
  keyID: string;
  encryptedDEKSource: Uint8Array;
  /** Keys are UTF-8 strings; a null-prototype object, so a key like `__proto__` is just a key. */
  annotations: Record<string, Uint8Array>;
  /** 0 AES_GCM_KEY, 1 HKDF_SHA256_XNONCE_AES_GCM_SEED; any other int32 fails validation. */
  encryptedDEKSourceType: number;
}

export const AES_GCM_KEY = 0;
export const HKDF_SHA256_XNONCE_AES_GCM_SEED = 1;

const FIELD_ENCRYPTED_DATA = 1;
const FIELD_KEY_ID = 2;
const FIELD_ENCRYPTED_DEK_SOURCE = 3;
const FIELD_ANNOTATIONS = 4;
const FIELD_ENCRYPTED_DEK_SOURCE_TYPE = 5;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }); // a leading BOM is data here

function decodeString(b: Uint8Array): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    // protobuf-go's errInvalidUTF8 carries no `proto:` prefix
    throw new K8sEncError('ERR_KMS_DATA', 'string field contains invalid UTF-8');
  }
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
  let p = 0;
  while (p < b.length) {
    const tag = consumeFieldTag(b, p);
    if (tag === null) throw errInvalidWireFormat();
    p += tag.n;
    let n = -1;
    if (tag.typ === WIRE_BYTES && tag.num >= FIELD_ENCRYPTED_DATA && tag.num <= FIELD_ANNOTATIONS) {
      const r = consumeBytes(b, p);
      if (r === null) throw errInvalidWireFormat();
      const v = b.subarray(r.start, r.end);
      if (tag.num === FIELD_ENCRYPTED_DATA) o.encryptedData = v;
      else if (tag.num === FIELD_KEY_ID) o.keyID = decodeString(v);
      else if (tag.num === FIELD_ENCRYPTED_DEK_SOURCE) o.encryptedDEKSource = v;
      else decodeAnnotation(v, o.annotations);
      n = r.n;
    } else if (tag.typ === WIRE_VARINT && tag.num === FIELD_ENCRYPTED_DEK_SOURCE_TYPE) {
      const v = consumeVarint(b, p);
      if (v === null) throw errInvalidWireFormat();
      o.encryptedDEKSourceType = v.lo | 0; // Go's SetInt on an int32 enum keeps the low 32 bits
      n = v.n;
    }
    if (n < 0) n = consumeFieldValue(tag.num, tag.typ, b, p);
    if (n < 0) throw errInvalidWireFormat();
    p += n;
  }
  return o;
}

/** One map entry: an absent key is "", an absent value is empty; unknown entry fields skipped. */
function decodeAnnotation(entry: Uint8Array, into: Record<string, Uint8Array>): void {
  let key = '';
  let value: Uint8Array = new Uint8Array(0);
  let p = 0;
  while (p < entry.length) {
    const tag = consumeFieldTag(entry, p);
    if (tag === null) throw errInvalidWireFormat();
    p += tag.n;
    let n = -1;
    if (tag.typ === WIRE_BYTES && (tag.num === 1 || tag.num === 2)) {
      const r = consumeBytes(entry, p);
      if (r === null) throw errInvalidWireFormat();
      const v = entry.subarray(r.start, r.end);
      if (tag.num === 1) key = decodeString(v);
      else value = v;
      n = r.n;
    }
    if (n < 0) n = consumeFieldValue(tag.num, tag.typ, entry, p);
    if (n < 0) throw errInvalidWireFormat();
    p += n;
  }
  into[key] = value;
}

function lengthDelimited(field: number, payload: Uint8Array): Uint8Array[] {
  const head: number[] = [];
  appendVarint(head, (field << 3) | WIRE_BYTES);
  appendVarint(head, payload.length);
  return [Uint8Array.from(head), payload];
}

/**
 * proto.Marshal of EncryptedObject: fields in number order, proto3 zero values omitted, each map
 * entry with both key and value. Go writes map entries in random order; we write them in key
 * byte order, which the apiserver reads the same.
 */
export function encodeEncryptedObject(o: EncryptedObject): Uint8Array {
  const parts: Uint8Array[] = [];
  if (o.encryptedData.length > 0) parts.push(...lengthDelimited(FIELD_ENCRYPTED_DATA, o.encryptedData));
  if (o.keyID.length > 0) parts.push(...lengthDelimited(FIELD_KEY_ID, utf8(o.keyID)));
  if (o.encryptedDEKSource.length > 0) {
    parts.push(...lengthDelimited(FIELD_ENCRYPTED_DEK_SOURCE, o.encryptedDEKSource));
  }
  const entries = Object.keys(o.annotations)
    .map((k) => ({ key: utf8(k), value: o.annotations[k]! }))
    .sort((a, b) => compareBytes(a.key, b.key));
  for (const { key, value } of entries) {
    const entry = concatBytes(...lengthDelimited(1, key), ...lengthDelimited(2, value));
    parts.push(...lengthDelimited(FIELD_ANNOTATIONS, entry));
  }
  if (o.encryptedDEKSourceType !== 0) {
    const tail: number[] = [];
    appendVarint(tail, (FIELD_ENCRYPTED_DEK_SOURCE_TYPE << 3) | WIRE_VARINT);
    // an int32 enum is written as its sign-extended int64
    appendVarint(tail, o.encryptedDEKSourceType >>> 0, o.encryptedDEKSourceType < 0 ? 0xffffffff : 0);
    parts.push(Uint8Array.from(tail));
  }
  return concatBytes(...parts);
}
