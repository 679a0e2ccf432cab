/**
 * One stored etcd value as people paste it (docs/FORMATS.md#value-input-forms): the raw bytes, `etcdctl get` text
 * (`key\n` + value + `\n`), `etcdctl get -w json`, hex or base64.
 */
import { decodeGoStdBase64, fromHex, fromUtf8, startsWith, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';

export const INPUT_FORMATS = ['auto', 'raw', 'etcdctl', 'base64', 'hex'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface ValueInput {
  value: Uint8Array;
  /** The etcd key when the input carried one (etcdctl forms). */
  key?: Uint8Array;
  format: Exclude<InputFormat, 'auto'> | 'etcdctl-json';
}

const K8S = utf8('k8s');
const SLASH = 0x2f;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

function inputError(message: string): K8sEncError {
  return new K8sEncError('ERR_INPUT', message);
}

/** `key\n` + value + exactly one `\n`: the value itself may hold newlines, the key cannot. */
function parseEtcdctlText(data: Uint8Array): ValueInput | null {
  if (data[0] !== SLASH) return null;
  const nl = data.indexOf(NEWLINE);
  if (nl < 0 || data[data.length - 1] !== NEWLINE || data.length < nl + 2) return null;
  return { key: data.subarray(0, nl), value: data.subarray(nl + 1, data.length - 1), format: 'etcdctl' };
}

/** `etcdctl get -w json`: {"header":…, "kvs":[{"key": b64, "value": b64, …}], "count": 1}. */
function parseEtcdctlJson(data: Uint8Array): ValueInput | null {
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(data));
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null || !('kvs' in doc) || !Array.isArray(doc.kvs)) return null;
  if (doc.kvs.length !== 1) throw inputError(`etcdctl JSON output holds ${doc.kvs.length} keys; give exactly one`);
  const kv = doc.kvs[0] as { key?: unknown; value?: unknown };
  const key = typeof kv.key === 'string' ? decodeGoStdBase64(kv.key) : null;
  const value = typeof kv.value === 'string' ? decodeGoStdBase64(kv.value) : kv.value === undefined ? new Uint8Array(0) : null;
  if (key === null || value === null) throw inputError('etcdctl JSON output has a key or value that is not base64');
  return { key, value, format: 'etcdctl-json' };
}

function textOf(data: Uint8Array): string | null {
  // Hex and base64 are ASCII; anything else is binary and stays raw.
  for (const b of data) if (b > 0x7e || (b < 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09)) return null;
  return fromUtf8(data).replace(/\s+/g, '');
}

function parseHex(data: Uint8Array): Uint8Array | null {
  const t = textOf(data)?.replace(/^0x/i, '');
  return t !== undefined && t.length > 0 && t.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(t) ? fromHex(t) : null;
}

function parseBase64(data: Uint8Array): Uint8Array | null {
  const t = textOf(data);
  return t === null ? null : decodeGoStdBase64(t);
}

function detect(data: Uint8Array): ValueInput {
  // Stored values start with k8s:enc: (encrypted), k8s\0 (protobuf) or { (JSON).
  if (startsWith(data, K8S)) return { value: data, format: 'raw' };
  const text = parseEtcdctlText(data);
  if (text) return text;
  if (data[0] === OPEN_BRACE) return parseEtcdctlJson(data) ?? { value: data, format: 'raw' };
  // Hex before base64: every hex string is also base64 text.
  const hex = parseHex(data);
  if (hex) return { value: hex, format: 'hex' };
  const b64 = parseBase64(data);
  if (b64 && b64.length > 0) return { value: b64, format: 'base64' };
  return { value: data, format: 'raw' };
}

export function parseValueInput(data: Uint8Array, format: InputFormat = 'auto'): ValueInput {
  switch (format) {
    case 'auto':
      return detect(data);
    case 'raw':
      return { value: data, format };
    case 'etcdctl': {
      const r = data[0] === OPEN_BRACE ? parseEtcdctlJson(data) : parseEtcdctlText(data);
      if (!r) throw inputError('input is not etcdctl get output (a key line starting with "/", the value, one trailing newline)');
      return r;
    }
    case 'hex': {
      const v = parseHex(data);
      if (!v) throw inputError('input is not hex');
      return { value: v, format };
    }
    case 'base64': {
      const v = parseBase64(data);
      if (!v) throw inputError('input is not standard padded base64');
      return { value: v, format };
    }
  }
}
