/**
 * Objects in the Kubernetes JSON shape (what `kubectl get -o json` shows), as decodeObject returns
 * them and encodeObject takes them.
 *
 * Representation choices, so every stored byte survives decode → encode:
 * - int64 fields are a `number` when they are safe integers and a `bigint` beyond ±2^53 (fixtures
 *   and fuzzed clusters hold such values); output prints the exact digits either way.
 * - Strings are raw bytes in protobuf. Valid UTF-8 becomes a plain string; each byte of an invalid
 *   sequence becomes the lone surrogate U+DC80+byte ("surrogate escape", never produced by valid
 *   UTF-8), and encoding maps those back to the byte. Output prints them as U+FFFD, as Go does.
 * - Times are RFC 3339 strings in UTC, seconds only; null is the zero time.
 * - `fieldsV1` is the parsed managed-fields JSON. The exact stored bytes ride along on a side channel
 *   (fields-v1.ts) and are written back unless the value was changed.
 */
export type Int64 = number | bigint;

/** RFC 3339 (`2017-11-28T12:12:10Z`), or null for Go's zero time. */
export type Timestamp = string | null;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: Timestamp;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: Int64;
  creationTimestamp?: Timestamp;
  deletionTimestamp?: Timestamp;
  deletionGracePeriodSeconds?: Int64;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** `data` and `binaryData` values are base64 (Go StdEncoding), as in the Kubernetes API. */
export interface Secret extends KubeObject {
  immutable?: boolean;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}

export interface ConfigMap extends KubeObject {
  immutable?: boolean;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/**
 * Kinds k8s-enc does not decode field by field keep their whole protobuf object here (base64),
 * next to the decoded apiVersion, kind and metadata, so nothing is silently dropped.
 */
export const UNDECODED_FIELD = 'undecodedProtobuf';

export interface UndecodedProtobuf {
  note: string;
  /** base64 of the object message (runtime.Unknown.raw), metadata included. */
  raw: string;
}
