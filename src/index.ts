// Public API of k8s-enc on Node: the codec (browser.ts, which also runs in browsers) plus what
// needs Node: the etcd snapshot/live readers and the KMS plugin gRPC clients. Re-exports only.
export * from './browser.ts';

// KMS plugin clients (gRPC over unix sockets, as kube-apiserver calls them)
export { connectKmsPlugin, closeKmsPlugins } from './kms/connect.ts';
export type { KmsPlugin, KmsPluginOptions, Closable } from './kms/connect.ts';

// etcd: snapshot and member db files, live endpoints
export type { EtcdEntry, ScanItem, EtcdSource, EtcdRevisionInfo } from './etcd/source.ts';
export { openSnapshot, SnapshotSource } from './etcd/snapshot.ts';
export type { ScanPlan, ValueLocation } from './etcd/snapshot.ts';
export { openSalvage, SalvageSource } from './etcd/salvage/source.ts';
export type { SalvageReport } from './etcd/salvage/source.ts';
export type { DamagedRange } from './etcd/salvage/ranges.ts';
export { openEndpoints } from './etcd/live.ts';
export type { EndpointOptions } from './etcd/live.ts';
