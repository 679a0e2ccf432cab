/** KMS v1beta1 plugin messages (proto/kms/v1beta1.proto; k8s.io/kms apis/v1beta1). */
import { utf8 } from '../bytes.ts';
import { WireWriter } from '../protobuf/wire.ts';
import { forEachField, protoString } from './wire-reader.ts';

export const V1BETA1_SERVICE = '/v1beta1.KeyManagementService';

export interface VersionResponse {
  version: string;
  runtimeName: string;
  runtimeVersion: string;
}

/** VersionRequest, EncryptRequest and DecryptRequest: 1 version, then 2 the bytes (plain/cipher). */
export function encodeV1beta1Request(version: string, data?: Uint8Array): Uint8Array {
  const w = new WireWriter().optionalBytes(1, utf8(version));
  return (data === undefined ? w : w.optionalBytes(2, data)).finish();
}

export function decodeVersionResponse(buf: Uint8Array): VersionResponse {
  const r: VersionResponse = { version: '', runtimeName: '', runtimeVersion: '' };
  forEachField(buf, (field, v) => {
    if (field === 1) r.version = protoString(v);
    else if (field === 2) r.runtimeName = protoString(v);
    else if (field === 3) r.runtimeVersion = protoString(v);
  });
  return r;
}

/** EncryptResponse.cipher and DecryptResponse.plain are both field 1. */
export function decodeV1beta1Data(buf: Uint8Array): Uint8Array {
  let data: Uint8Array = new Uint8Array(0);
  forEachField(buf, (field, v) => {
    if (field === 1) data = v;
  });
  return data;
}
