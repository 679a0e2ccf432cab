/**
 * managedFields[].fieldsV1 is JSON the apiserver stored as opaque bytes (FieldsV1.Raw). Users see
 * it parsed, as kubectl shows it; the exact stored bytes are remembered per parsed object so an
 * unchanged value is written back verbatim (key order, escapes and spacing are not ours to redo).
 * Whether it is unchanged is decided at encoding, by re-reading those bytes, so decoding (the scans'
 * hot path) pays for one parse only.
 * Bytes that are not a JSON object or array come back as `{ [RAW_FIELDS_KEY]: base64 }`, a key no
 * real field set uses (they start with `f:`, `k:`, `v:`, `i:` or `.`).
 */
import { decodeGoStdBase64, toBase64 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { parseJson } from './json-parse.ts';
import { toGoJson } from './go-json-write.ts';
import { rawBytesFromString, stringFromRawBytes } from './raw-string.ts';

/** The key under which a `fieldsV1` that is not JSON keeps its stored bytes (base64), so they are written back. */
export const RAW_FIELDS_KEY = '$k8sEncRawFieldsV1';

const stored = new WeakMap<object, Uint8Array>();

export function fieldsV1FromRaw(raw: Uint8Array): unknown {
  let value: unknown;
  try {
    value = parseFieldSet(stringFromRawBytes(raw));
  } catch {
    return { [RAW_FIELDS_KEY]: toBase64(raw) };
  }
  if (typeof value !== 'object' || value === null || isRawEscape(value)) return { [RAW_FIELDS_KEY]: toBase64(raw) };
  stored.set(value, raw);
  return value;
}

/**
 * parseJson's result, through the engine's JSON.parse when that gives the same: field sets hold
 * objects and strings only, and JSON.parse differs from parseJson only on numbers (it rounds big
 * integers, keeps -0) and nesting past parseJson's depth limit.
 */
function parseFieldSet(text: string): unknown {
  const fast: unknown = JSON.parse(text);
  return numberFreeWithin(fast, 0) ? fast : parseJson(text);
}

const MAX_FAST_DEPTH = 900;

function numberFreeWithin(v: unknown, depth: number): boolean {
  if (typeof v === 'number') return false;
  if (typeof v !== 'object' || v === null) return true;
  if (depth > MAX_FAST_DEPTH) return false;
  if (Array.isArray(v)) return v.every((x) => numberFreeWithin(x, depth + 1));
  for (const k in v) if (!numberFreeWithin((v as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

export function fieldsV1ToRaw(value: unknown, where: string): Uint8Array {
  if (typeof value === 'object' && value !== null) {
    if (isRawEscape(value)) {
      const raw = decodeGoStdBase64(String((value as Record<string, unknown>)[RAW_FIELDS_KEY]));
      if (raw === null) throw new K8sEncError('ERR_OBJECT', `${where}: ${RAW_FIELDS_KEY} is not valid base64`);
      return raw;
    }
    const text = toGoJson(value);
    const raw = stored.get(value);
    if (raw !== undefined && toGoJson(parseJson(stringFromRawBytes(raw))) === text) return raw;
    return rawBytesFromString(text);
  }
  throw new K8sEncError('ERR_OBJECT', `${where}: expected a JSON object or array`);
}

function isRawEscape(v: object): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === RAW_FIELDS_KEY && !Array.isArray(v);
}
