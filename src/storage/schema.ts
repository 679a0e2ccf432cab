/**
 * The message schemas (proto/*.proto, checked in as schema.generated.ts) turned into plans the
 * gogo-exact codec walks: which fields are Go pointers, which JSON keys Go always prints, and the
 * two meta/v1 types with custom marshalers (Time, FieldsV1).
 */
import protobuf from 'protobufjs/light.js';
import { descriptor } from './schema.generated.ts';

export type FieldKind = 'string' | 'bytes' | 'bool' | 'int64' | 'int32' | 'message' | 'time' | 'fieldsV1';

export interface FieldPlan {
  /** The Kubernetes JSON name (the .proto field names are the JSON names). */
  readonly name: string;
  readonly id: number;
  readonly kind: FieldKind;
  readonly repeated: boolean;
  /** Set for map fields: what the values are (keys are always strings). */
  readonly mapValue?: 'string' | 'bytes';
  /** A Go pointer: written iff set, even when false or 0. Other singular fields are always written. */
  readonly pointer: boolean;
  /** Go's JSON tag lacks omitempty (or omitempty cannot apply, as for struct-valued Time). */
  readonly alwaysInJson: boolean;
  readonly message?: MessagePlan;
  /** Position in the plan's `fields`, where decoding keeps the field's value. */
  readonly slot: number;
}

export interface MessagePlan {
  readonly name: string;
  /** Go struct order, which is the order the API prints fields in. */
  readonly fields: readonly FieldPlan[];
  /** Field-number order, which is the order gogo writes them in. */
  readonly writeOrder: readonly FieldPlan[];
  readonly byId: ReadonlyMap<number, FieldPlan>;
  /** byId as an array indexed by field number: the decoder's per-tag lookup. */
  readonly byNumber: readonly (FieldPlan | undefined)[];
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const CORE = 'k8s.io.api.core.v1';

/** OwnerReference's identifying strings are the only covered fields Go prints even when empty. */
const ALWAYS_IN_JSON = new Set(['OwnerReference.apiVersion', 'OwnerReference.kind', 'OwnerReference.name', 'OwnerReference.uid']);

const root = protobuf.Root.fromJSON(descriptor as unknown as protobuf.INamespace);
root.resolveAll();

const plans = new Map<string, MessagePlan>();

function planFor(type: protobuf.Type): MessagePlan {
  const cached = plans.get(type.fullName);
  if (cached !== undefined) return cached;
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = {
    name: type.name,
    fields,
    writeOrder: [],
    byId: new Map(),
    byNumber: [],
  };
  plans.set(type.fullName, plan);
  for (const f of type.fieldsArray) {
    const resolved = f.resolvedType;
    const isMap = f instanceof protobuf.MapField;
    let kind: FieldKind;
    let message: MessagePlan | undefined;
    if (isMap) kind = 'message';
    else if (resolved instanceof protobuf.Type) {
      if (resolved.fullName === `.${META}.Time`) kind = 'time';
      else if (resolved.fullName === `.${META}.FieldsV1`) kind = 'fieldsV1';
      else {
        kind = 'message';
        message = planFor(resolved);
      }
    } else kind = f.type as FieldKind;
    fields.push({
      name: f.name,
      id: f.id,
      kind,
      repeated: f.repeated || isMap,
      ...(isMap ? { mapValue: f.type as 'string' | 'bytes' } : {}),
      pointer: f.options?.['proto3_optional'] === true,
      alwaysInJson: ALWAYS_IN_JSON.has(`${type.name}.${f.name}`) || (kind === 'time' && f.options?.['proto3_optional'] !== true),
      ...(message === undefined ? {} : { message }),
      slot: fields.length,
    });
  }
  (plan.writeOrder as FieldPlan[]).push(...[...fields].sort((a, b) => a.id - b.id));
  for (const f of fields) {
    (plan.byId as Map<number, FieldPlan>).set(f.id, f);
    (plan.byNumber as (FieldPlan | undefined)[])[f.id] = f;
  }
  return plan;
}

function messagePlan(fullName: string): MessagePlan {
  return planFor(root.lookupType(fullName));
}

export const ObjectMetaPlan = messagePlan(`${META}.ObjectMeta`);
export const SecretPlan = messagePlan(`${CORE}.Secret`);
export const ConfigMapPlan = messagePlan(`${CORE}.ConfigMap`);

/** The kinds decoded and encoded field by field, by `apiVersion/kind`. */
export const TYPED_KINDS: ReadonlyMap<string, MessagePlan> = new Map([
  ['v1/Secret', SecretPlan],
  ['v1/ConfigMap', ConfigMapPlan],
]);
