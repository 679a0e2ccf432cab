/**
 * encodeObject: a v1 Secret or ConfigMap in the Kubernetes JSON shape → the exact bytes a current
 * kube-apiserver stores before encryption (`k8s\x00` + runtime.Unknown, docs/FORMATS.md#stored-objects). Keys the schema
 * does not know are ignored, as the apiserver's non-strict decoding ignores them.
 */
import { K8sEncError } from '../errors.ts';
import { sealEnvelope } from './envelope.ts';
import { encodeMessage } from './message-codec.ts';
import { TYPED_KINDS } from './schema.ts';
import type { KubeObject } from './types.ts';

/**
 * Encodes an object as kube-apiserver stores it (before encryption): the `k8s\0` protobuf
 * envelope for Secrets and ConfigMaps, byte for byte what the apiserver writes;
 * `undecodedProtobuf` objects are written back from their raw message. Feed the result to a
 * transformer's `toStorage`.
 *
 * @throws K8sEncError `ERR_OBJECT` for a kind it cannot encode or a field of the wrong shape.
 * @example
 * ```ts
 * const plain = encodeObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { k: 'dg==' } });
 * ```
 */
export function encodeObject(obj: KubeObject): Uint8Array {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new K8sEncError('ERR_OBJECT', 'encodeObject needs an object with apiVersion, kind and metadata');
  }
  const { apiVersion, kind } = obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new K8sEncError('ERR_OBJECT', 'encodeObject needs string apiVersion and kind fields');
  }
  const plan = TYPED_KINDS.get(`${apiVersion}/${kind}`);
  if (plan === undefined) {
    throw new K8sEncError(
      'ERR_OBJECT',
      `encodeObject supports v1 Secret and ConfigMap only, not ${JSON.stringify(apiVersion)} ${JSON.stringify(kind)}`,
    );
  }
  return sealEnvelope({ apiVersion, kind, raw: encodeMessage(plan, obj, kind) });
}
