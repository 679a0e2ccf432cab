/** KMS v2 plugin messages (proto/kms/v2.proto; k8s.io/kms apis/v2). */
import { utf8 } from '../bytes.ts';
import { WireWriter } from '../protobuf/wire.ts';
import { forEachField, protoString, readMapEntry } from './wire-reader.ts';

export const V2_SERVICE = '/v2.KeyManagementService';

export interface StatusResponse {
  version: string;
  healthz: string;
  keyID: string;
}

export interface EncryptResponse {
  ciphertext: Uint8Array;
  keyID: string;
  annotations: Record<string, Uint8Array>;
}

export interface DecryptRequest {
  ciphertext: Uint8Array;
  uid: string;
  keyID: string;
  annotations?: Record<string, Uint8Array>;
}

export const encodeStatusRequest = (): Uint8Array => new Uint8Array(0);

export function decodeStatusResponse(buf: Uint8Array): StatusResponse {
  const r: StatusResponse = { version: '', healthz: '', keyID: '' };
  forEachField(buf, (field, v) => {
    if (field === 1) r.version = protoString(v);
    else if (field === 2) r.healthz = protoString(v);
    else if (field === 3) r.keyID = protoString(v);
  });
  return r;
}

export function encodeEncryptRequest(plaintext: Uint8Array, uid: string): Uint8Array {
  return new WireWriter().optionalBytes(1, plaintext).optionalBytes(2, utf8(uid)).finish();
}

export function decodeEncryptResponse(buf: Uint8Array): EncryptResponse {
  // Null prototype: an annotation key is plugin-chosen text, `__proto__` included.
  const r: EncryptResponse = { ciphertext: new Uint8Array(0), keyID: '', annotations: Object.create(null) };
  forEachField(buf, (field, v) => {
    if (field === 1) r.ciphertext = v;
    else if (field === 2) r.keyID = protoString(v);
    else if (field === 3) readMapEntry(v, r.annotations);
  });
  return r;
}

export function encodeDecryptRequest(req: DecryptRequest): Uint8Array {
  return new WireWriter()
    .optionalBytes(1, req.ciphertext)
    .optionalBytes(2, utf8(req.uid))
    .optionalBytes(3, utf8(req.keyID))
    .stringBytesMap(4, req.annotations)
    .finish();
}

export function decodeDecryptResponse(buf: Uint8Array): Uint8Array {
  let plaintext: Uint8Array = new Uint8Array(0);
  forEachField(buf, (field, v) => {
    if (field === 1) plaintext = v;
  });
  return plaintext;
}
