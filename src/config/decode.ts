/**
 * Strict decoding of the JSON model into apiserver.config.k8s.io/v1 EncryptionConfiguration, as
 * sigs.k8s.io/json.UnmarshalStrict does it: exact (case-sensitive) field names; unknown and
 * duplicate fields collected as strict errors; the first type mismatch saved and returned instead;
 * then the v1 defaults (KMS apiVersion v1, timeout 3s, cachesize 1000 for v1).
 */
import { formatGoDuration, parseGoDuration } from './go-duration.ts';
import { jsonKind, type JValue } from './go-json-parse.ts';

export interface RawKey {
  name: string;
  secret: string;
}
export interface RawKeys {
  keys: RawKey[] | null;
}
export interface RawKms {
  apiVersion: string;
  name: string;
  cachesize: number | null;
  endpoint: string;
  /** Nanoseconds. */
  timeout: bigint | null;
}
export interface RawProvider {
  aesgcm: RawKeys | null;
  aescbc: RawKeys | null;
  secretbox: RawKeys | null;
  identity: Record<string, never> | null;
  kms: RawKms | null;
}
export interface RawResource {
  resources: string[] | null;
  providers: RawProvider[] | null;
}
export interface RawConfig {
  kind: string;
  apiVersion: string;
  resources: RawResource[] | null;
}

export type DecodeOutcome = { ok: true; config: RawConfig; strictErrors: string[] } | { ok: false; error: string };

type Schema =
  | { t: 'string' }
  | { t: 'int32' }
  | { t: 'duration' }
  | { t: 'slice'; of: Schema; goType: string }
  | { t: 'struct'; name: string; fields: Record<string, Schema> };

const str: Schema = { t: 'string' };
const keys: Schema = {
  t: 'struct',
  name: 'AESConfiguration',
  fields: { keys: { t: 'slice', goType: '[]v1.Key', of: { t: 'struct', name: 'Key', fields: { name: str, secret: str } } } },
};
const PROVIDER: Schema = {
  t: 'struct',
  name: 'ProviderConfiguration',
  fields: {
    aesgcm: keys,
    aescbc: keys,
    secretbox: { ...keys, name: 'SecretboxConfiguration' } as Schema,
    identity: { t: 'struct', name: 'IdentityConfiguration', fields: {} },
    kms: {
      t: 'struct',
      name: 'KMSConfiguration',
      fields: { apiVersion: str, name: str, cachesize: { t: 'int32' }, endpoint: str, timeout: { t: 'duration' } },
    },
  },
};
const CONFIG: Schema = {
  t: 'struct',
  name: 'EncryptionConfiguration',
  fields: {
    kind: str,
    apiVersion: str,
    resources: {
      t: 'slice',
      goType: '[]v1.ResourceConfiguration',
      of: {
        t: 'struct',
        name: 'ResourceConfiguration',
        fields: {
          resources: { t: 'slice', goType: '[]string', of: str },
          providers: { t: 'slice', goType: '[]v1.ProviderConfiguration', of: PROVIDER },
        },
      },
    },
  },
};

const DEFAULT_TIMEOUT_NS = 3_000_000_000n;
const DEFAULT_CACHE_SIZE = 1000;

/** Thrown to stop decoding: Go aborts on errors from a field's own UnmarshalJSON (metav1.Duration). */
class Abort {
  constructor(readonly message: string) {}
}

export function decodeEncryptionConfiguration(root: JValue): DecodeOutcome {
  const d = new StrictDecoder();
  let config: RawConfig;
  try {
    config = d.value(root, CONFIG, '', [], '') as RawConfig;
  } catch (e) {
    if (e instanceof Abort) return { ok: false, error: e.message };
    throw e;
  }
  if (d.typeError !== null) return { ok: false, error: d.typeError };
  applyDefaults(config);
  return { ok: true, config, strictErrors: d.strictErrors };
}

class StrictDecoder {
  typeError: string | null = null;
  readonly strictErrors: string[] = [];

  /** `path` names the value for strict errors (`resources[0].providers`); `stack`/`struct` for type errors. */
  value(v: JValue, schema: Schema, path: string, stack: string[], struct: string): unknown {
    const mismatch = (goType: string): null => {
      this.typeError ??=
        stack.length === 0
          ? `json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`
          : `json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${stack.join('.')} of type ${goType}`;
      return null;
    };
    switch (schema.t) {
      case 'string':
        if (v === null) return '';
        return typeof v === 'string' ? v : (mismatch('string') ?? '');
      case 'int32': {
        if (v === null) return null;
        if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'number') return mismatch('int32');
        const n = /^-?[0-9]+$/.test(v.text) ? BigInt(v.text) : null;
        if (n === null || n < -(1n << 31n) || n >= 1n << 31n) {
          this.typeError ??= `json: cannot unmarshal number ${v.text} into Go struct field ${struct}.${stack.join('.')} of type int32`;
          return null;
        }
        return Number(n);
      }
      case 'duration': {
        if (v === null) return null;
        // metav1.Duration.UnmarshalJSON decodes a string and parses it; its errors end decoding.
        if (typeof v !== 'string') {
          throw new Abort(`json: cannot unmarshal ${jsonKind(v)} into Go struct field ${struct}.${stack.join('.')} of type string`);
        }
        const parsed = parseGoDuration(v);
        if ('error' in parsed) throw new Abort(parsed.error);
        return parsed.ns;
      }
      case 'slice':
        if (v === null) return null;
        if (!Array.isArray(v)) return mismatch(schema.goType);
        // Slice elements are structs, not pointers: null or a mismatch leaves the zero value.
        return v.map((item, i) => this.value(item, schema.of, `${path}[${i}]`, stack, struct) ?? zero(schema.of));
      case 'struct':
        return this.struct(v, schema, path, stack, mismatch);
    }
  }

  private struct(
    v: JValue,
    schema: Extract<Schema, { t: 'struct' }>,
    path: string,
    stack: string[],
    mismatch: (goType: string) => null,
  ): Record<string, unknown> | null {
    if (v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v) || v.kind !== 'object') {
      mismatch(`v1.${schema.name}`);
      return null;
    }
    const out = zero(schema) as Record<string, unknown>;
    const seen = new Set<string>();
    for (const [key, value] of v.entries) {
      const fieldPath = path === '' ? key : `${path}.${key}`;
      const field = Object.hasOwn(schema.fields, key) ? schema.fields[key] : undefined;
      if (field === undefined) {
        this.strictErrors.push(`unknown field ${JSON.stringify(fieldPath)}`);
        continue;
      }
      if (seen.has(key)) this.strictErrors.push(`duplicate field ${JSON.stringify(fieldPath)}`);
      seen.add(key);
      out[key] = this.value(value, field, fieldPath, [...stack, key], schema.name);
    }
    return out;
  }
}

function zero(schema: Schema): unknown {
  if (schema.t === 'string') return '';
  if (schema.t !== 'struct') return null;
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.fields)) out[name] = field.t === 'string' ? '' : null;
  return out;
}

function applyDefaults(config: RawConfig): void {
  for (const entry of config.resources ?? []) {
    for (const provider of entry.providers ?? []) {
      const kms = provider?.kms;
      if (kms === null || kms === undefined) continue;
      kms.timeout ??= DEFAULT_TIMEOUT_NS;
      if (kms.apiVersion === '') kms.apiVersion = 'v1';
      if (kms.cachesize === null && kms.apiVersion === 'v1') kms.cachesize = DEFAULT_CACHE_SIZE;
    }
  }
}

/** How metav1.Duration marshals: the Go duration string. */
export function durationJson(ns: bigint): string {
  return JSON.stringify(formatGoDuration(ns));
}
