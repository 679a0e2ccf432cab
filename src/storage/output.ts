/**
 * Printing objects as `kubectl get -o json|yaml` prints one, and the "for restore" form that
 * `kubectl apply -f` accepts in another cluster. Works on KubeObject alone (no protobuf).
 *
 * kubectl prints what it got back as unstructured JSON, so both forms sort keys at every level:
 * JSON by Go map order (UTF-8 bytes), 4-space indented; YAML through sigs.k8s.io/yaml (go-yaml v2:
 * natural key order, 2-space indentation, sequences not indented under their key).
 */
import { goNumber, toGoJson } from './go-json-write.ts';
import { setOwn } from './json-parse.ts';
import { displayString } from './raw-string.ts';
import type { KubeObject } from './types.ts';
import { emitYamlDocument, NumberBox, type YamlValue } from './yaml-emitter.ts';
import { yamlNumber } from './yaml-scalars.ts';

/**
 * The object as `kubectl get -o json` prints it (keys sorted, 4-space indent, trailing newline).
 * This is the safe serializer for decoded objects: int64 fields may be bigints, on which
 * `JSON.stringify` throws; here they print as their exact digits.
 */
export function toJson(obj: KubeObject): string {
  return toGoJson(obj, { indent: '    ', sortKeys: true }) + '\n';
}

/** One object on one line (`-o ndjson`): kubectl's JSON without the indentation. */
export function toJsonLine(obj: KubeObject): string {
  return toGoJson(obj, { sortKeys: true });
}

/** The object as `kubectl get -o yaml` prints it (sigs.k8s.io/yaml's output, byte for byte). */
export function toYaml(obj: KubeObject): string {
  return emitYamlDocument(toYamlValue(obj) ?? null);
}

/** The value as the JSON → YAML trip sees it: Go's JSON text, re-read by go-yaml. */
function toYamlValue(v: unknown): YamlValue | undefined {
  switch (typeof v) {
    case 'string':
      return displayString(v);
    case 'number':
    case 'bigint':
      return new NumberBox(yamlNumber(goNumber(v)));
    case 'boolean':
      return v;
    case 'object':
      if (v === null) return null;
      if (Array.isArray(v)) return v.map((x) => toYamlValue(x) ?? null);
      {
        const out: Record<string, YamlValue> = {};
        for (const [k, x] of Object.entries(v)) {
          const y = toYamlValue(x);
          if (y !== undefined) setOwn(out, displayString(k), y);
        }
        return out;
      }
    default:
      return undefined;
  }
}

/**
 * Server-set metadata that a new cluster must assign itself. Also dropped: the deletion fields,
 * so a restored object is not born terminating.
 */
const SERVER_SET_METADATA = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'generation',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  // Controllers' pending clean-ups: a restored object would wait for them forever.
  'finalizers',
];

/** kubectl apply's record of the last applied manifest: stale in a new cluster, and holds a copy of the data. */
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface RestoreOptions {
  /**
   * Keep `metadata.ownerReferences`. They name owners by UID: in a new cluster those UIDs do not
   * exist and the garbage collector deletes the restored objects. Keep them only when restoring
   * into the same cluster, where the owners still exist.
   */
  keepOwnerReferences?: boolean;
}

/**
 * The object as a manifest for `kubectl apply` in a new cluster: server-set metadata, finalizers,
 * owner references (unless kept), kubectl's last-applied annotation and `status` (the controllers
 * of the new cluster write their own) are dropped. The input is left alone.
 */
export function forRestore(obj: KubeObject, opts: RestoreOptions = {}): KubeObject {
  const copy = clone(obj) as KubeObject;
  delete copy['status'];
  const metadata = copy.metadata;
  if (typeof metadata === 'object' && metadata !== null) {
    for (const field of SERVER_SET_METADATA) delete metadata[field];
    if (opts.keepOwnerReferences !== true) delete metadata['ownerReferences'];
    const annotations = metadata['annotations'];
    if (typeof annotations === 'object' && annotations !== null && !Array.isArray(annotations)) {
      delete (annotations as Record<string, unknown>)[LAST_APPLIED];
      if (Object.keys(annotations).length === 0) delete metadata['annotations'];
    }
  }
  return copy;
}

function clone(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return v.map(clone);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) setOwn(out, k, clone(x));
  return out;
}
