/**
 * Objects in the Kubernetes JSON shape (what `kubectl get -o json` shows), as decodeObject returns
 * them and encodeObject takes them.
 *
 * Representation choices, so every stored byte survives decode → encode:
 * - int64 fields ({@link Int64}) are a `number` when they are safe integers and a `bigint` beyond
 *   ±2^53 (fixtures and fuzzed clusters hold such values). `JSON.stringify` throws on a bigint:
 *   serialize with `toJson`/`toYaml`, which print the exact digits either way.
 * - Strings are raw bytes in protobuf. Valid UTF-8 becomes a plain string; each byte of an invalid
 *   sequence becomes the lone surrogate U+DC80+byte ("surrogate escape", never produced by valid
 *   UTF-8), and encoding maps those back to the byte. Output prints them as U+FFFD, as Go does.
 * - Times are RFC 3339 strings in UTC, seconds only; null is the zero time.
 * - `fieldsV1` is the parsed managed-fields JSON. The exact stored bytes ride along on a side channel
 *   (fields-v1.ts) and are written back unless the value was changed.
 */

/** A Go int64: a number while it is a safe integer, a bigint beyond ±2^53 (serialize with `toJson`). */
export type Int64 = number | bigint;

/** RFC 3339 (`2017-11-28T12:12:10Z`), or null for Go's zero time. */
export type Timestamp = string | null;

/**
 * One entry of `metadata.ownerReferences` (meta/v1 OwnerReference).
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/**
 * One entry of `metadata.managedFields` (meta/v1 ManagedFieldsEntry); `fieldsV1` is parsed JSON.
 */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: Timestamp;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/**
 * An object's `metadata` (meta/v1 ObjectMeta); fields this package does not know are kept as is.
 */
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

/** Any Kubernetes object: what encodeObject takes, and the common shape of what decodeObject returns. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A core/v1 Secret. `data` values are base64 (Go StdEncoding), as in the Kubernetes API. */
export interface Secret extends KubeObject {
  kind: 'Secret';
  immutable?: boolean;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  type?: string;
}

/** A core/v1 ConfigMap. `binaryData` values are base64, `data` values plain text. */
export interface ConfigMap extends KubeObject {
  kind: 'ConfigMap';
  immutable?: boolean;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/**
 * Any other kind: decoded metadata plus, for protobuf-stored kinds, the undecoded message under
 * `undecodedProtobuf`; JSON-stored objects (custom resources) keep all their fields, reachable
 * through the index signature (`o['spec']`).
 *
 * `data` is declared absent so that `o.kind === 'Secret'` narrows {@link DecodedObject} to a
 * Secret's `data`: TypeScript cannot exclude literal kinds from `string`. A custom resource that
 * has a top-level `data` still carries it: read it as `(o as KubeObject)['data']`.
 */
export interface OtherObject extends KubeObject {
  data?: undefined;
  [UNDECODED_FIELD]?: UndecodedProtobuf;
}

/**
 * What decodeObject returns: narrow it on `kind` (`if (o.kind === 'Secret') o.data` is a
 * `Record<string, string>`), or use it as a {@link KubeObject}.
 */
export type DecodedObject = Secret | ConfigMap | OtherObject;

/**
 * Kinds k8s-enc does not decode field by field keep their whole protobuf object here (base64),
 * next to the decoded apiVersion, kind and metadata, so nothing is silently dropped.
 */
export const UNDECODED_FIELD = 'undecodedProtobuf';

/**
 * The protobuf of a kind k8s-enc does not decode, kept under `undecodedProtobuf`
 * ({@link UNDECODED_FIELD}) so encodeObject can write it back.
 */
export interface UndecodedProtobuf {
  note: string;
  /** base64 of the object message (runtime.Unknown.raw), metadata included. */
  raw: string;
}
