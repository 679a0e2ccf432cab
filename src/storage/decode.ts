/**
 * decodeObject: the plaintext a transformer chain returns → the object in the Kubernetes JSON
 * shape. Secret and ConfigMap are decoded field by field; any other protobuf kind gets its
 * apiVersion, kind and metadata decoded and keeps the rest as protobuf under UNDECODED_FIELD.
 * JSON-stored objects (custom resources, very old clusters) are parsed with exact integers.
 */
import { toBase64 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { WIRE_BYTES } from '../protobuf/wire.ts';
import { openEnvelope } from './envelope.ts';
import { parseJson } from './json-parse.ts';
import { decodeMessage } from './message-codec.ts';
import { stringFromRawBytes } from './raw-string.ts';
import { type MessagePlan, ObjectMetaPlan, TYPED_KINDS } from './schema.ts';
import {
  UNDECODED_FIELD,
  type DecodedObject,
  type KubeObject,
  type ObjectMeta,
  type OtherObject,
  type UndecodedProtobuf,
} from './types.ts';
import { StorageWireReader } from './wire-reader.ts';

const JSON_OPEN_BRACE = 0x7b;

/**
 * Decodes what a transformer read (the plaintext of an etcd value) into the Kubernetes JSON
 * shape: the `k8s\0` protobuf envelope as the apiserver writes it, or a JSON object (custom
 * resources, clusters storing JSON). Secrets and ConfigMaps are decoded field by field; other
 * kinds get their metadata plus the undecoded message (see {@link OtherObject}). Every stored
 * byte survives: `encodeObject(decodeObject(b))` gives `b` back.
 *
 * int64 fields may be bigints: serialize the result with `toJson`/`toYaml`, not JSON.stringify.
 *
 * @throws K8sEncError `ERR_ENVELOPE` (not an envelope nor a JSON object, or no kind/apiVersion),
 *   `ERR_PROTOBUF` (a malformed message inside the envelope).
 * @example
 * ```ts
 * const o = decodeObject(data);
 * if (o.kind === 'Secret') console.log(Object.keys(o.data ?? {})); // data: Record<string, string>
 * ```
 */
export function decodeObject(bytes: Uint8Array): DecodedObject {
  if (bytes[0] === JSON_OPEN_BRACE) return decodeJsonObject(bytes) as DecodedObject;
  const env = openEnvelope(bytes);
  const plan = typedPlan(env.apiVersion, env.kind);
  if (plan !== undefined) {
    const typeMeta = { kind: env.kind, apiVersion: env.apiVersion };
    return decodeMessage(plan, env.raw, env.kind, 0, env.raw.length, typeMeta) as DecodedObject;
  }
  const undecoded: UndecodedProtobuf = {
    note: `k8s-enc decodes only the metadata of ${env.kind || 'objects without a kind'}; raw is the whole ${env.kind || 'object'} message`,
    raw: toBase64(env.raw),
  };
  return {
    kind: env.kind,
    apiVersion: env.apiVersion,
    metadata: genericMetadata(env.kind, env.raw),
    [UNDECODED_FIELD]: undecoded,
  } as OtherObject;
}

/** The last kind looked up and its plan (openEnvelope hands out the same strings for the same kind). */
let lastApiVersion = '';
let lastKind = '';
let lastPlan = TYPED_KINDS.get('/');

function typedPlan(apiVersion: string, kind: string): MessagePlan | undefined {
  if (apiVersion !== lastApiVersion || kind !== lastKind) {
    lastPlan = TYPED_KINDS.get(`${apiVersion}/${kind}`);
    lastApiVersion = apiVersion;
    lastKind = kind;
  }
  return lastPlan;
}

/**
 * Kinds whose field 1 is not an ObjectMeta: list kinds (ListMeta), options, Status, discovery.
 * Everything that is stored in etcd carries ObjectMeta as field 1.
 */
const KINDS_WITHOUT_OBJECT_META = new Set([
  '',
  'APIGroup',
  'APIGroupList',
  'APIResourceList',
  'APIVersions',
  'CreateOptions',
  'DeleteOptions',
  'GetOptions',
  'ListOptions',
  'NodeProxyOptions',
  'PatchOptions',
  'PodAttachOptions',
  'PodExecOptions',
  'PodLogOptions',
  'PodPortForwardOptions',
  'PodProxyOptions',
  'SerializedReference',
  'ServiceProxyOptions',
  'Status',
  'Table',
  'UpdateOptions',
  'WatchEvent',
]);

function genericMetadata(kind: string, raw: Uint8Array): ObjectMeta {
  const r = new StorageWireReader(raw, kind || 'object');
  const parts: Uint8Array[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE_BYTES) parts.push(r.bytes('metadata'));
    else r.skip(wire, field);
  }
  if (KINDS_WITHOUT_OBJECT_META.has(kind) || kind.endsWith('List')) return {};
  const joined = parts.length === 1 ? parts[0]! : Uint8Array.from(parts.flatMap((p) => [...p]));
  return decodeMessage(ObjectMetaPlan, joined, `${kind}.metadata`) as ObjectMeta;
}

function decodeJsonObject(bytes: Uint8Array): KubeObject {
  const value = parseJson(stringFromRawBytes(bytes), 'ERR_ENVELOPE');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new K8sEncError('ERR_ENVELOPE', 'JSON data is not an object');
  }
  // The same checks (and texts) as apimachinery's JSON serializer.
  for (const key of ['kind', 'apiVersion'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '') {
      const snippet = stringFromRawBytes(bytes.subarray(0, 200));
      throw new K8sEncError('ERR_ENVELOPE', `Object '${key === 'kind' ? 'Kind' : key}' is missing in '${snippet}'`);
    }
  }
  const metadata = value['metadata'];
  if (metadata === undefined || metadata === null) value['metadata'] = {};
  else if (typeof metadata !== 'object' || Array.isArray(metadata)) {
    throw new K8sEncError('ERR_ENVELOPE', 'JSON object has a metadata field that is not an object');
  }
  return value as unknown as KubeObject;
}
