/**
 * @grpc/grpc-js, loaded by the first KMS call or etcd connection rather than by `import 'k8s-enc'`:
 * it costs ~100 ms of start-up that a codec-only user (decrypt/decode with aescbc keys) never
 * needs. A dynamic import, so bundlers still include it.
 */
import type * as Grpc from '@grpc/grpc-js';

export type GrpcModule = typeof Grpc;

let loading: Promise<GrpcModule> | undefined;

export function loadGrpc(): Promise<GrpcModule> {
  return (loading ??= import('@grpc/grpc-js'));
}
