/**
 * One stored etcd value as people paste it (docs/FORMATS.md#value-input-forms): the raw bytes, `etcdctl get` text
 * (`key\n` + value + `\n`), `etcdctl get -w json`, hex or base64.
 */
import { decodeGoStdBase64, fromUtf8, startsWith, utf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';

/**
 * The forms a stored value may be given in; `auto` detects it (see {@link parseValueInput}).
 */
export const INPUT_FORMATS = ['auto', 'raw', 'etcdctl', 'base64', 'hex'] as const;
/**
 * One of {@link INPUT_FORMATS}.
 */
export type InputFormat = (typeof INPUT_FORMATS)[number];

/**
 * A stored value read from pasted input: its bytes, its etcd key when the input had one, and the
 * form it was found in.
 */
export interface ValueInput {
  value: Uint8Array;
  /** The etcd key when the input carried one (etcdctl forms). */
  key?: Uint8Array;
  format: Exclude<InputFormat, 'auto'> | 'etcdctl-json';
  /** Something about how the input was read that its reader should be told. */
  note?: string;
}

const K8S = utf8('k8s');
const SLASH = 0x2f;
const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

function inputError(message: string): K8sEncError {
  return new K8sEncError('ERR_INPUT', message);
}

function indexOfBytes(data: Uint8Array, needle: Uint8Array): number {
  for (let i = data.indexOf(needle[0]!); i >= 0 && i + needle.length <= data.length; i = data.indexOf(needle[0]!, i + 1)) {
    let k = 1;
    while (k < needle.length && data[i + k] === needle[k]) k++;
    if (k === needle.length) return i;
  }
  return -1;
}

/**
 * `key\n` + value + one `\n`: the value itself may hold newlines, the key cannot. Without the last
 * newline (`$(etcdctl get …)` strips it) the value runs to the end, and the reader is told.
 * Several keys (`--prefix`) cannot be split safely in this form: that is an error naming -w json.
 */
function parseEtcdctlText(data: Uint8Array): ValueInput | null {
  if (data[0] !== SLASH) return null;
  const nl = data.indexOf(NEWLINE);
  if (nl < 0 || data.length < nl + 2) return null;
  const key = data.subarray(0, nl);
  const trailing = data[data.length - 1] === NEWLINE;
  const value = data.subarray(nl + 1, trailing ? data.length - 1 : data.length);
  // Another key line of the same resource inside the value: `etcdctl get --prefix` output.
  const resourcePrefix = fromUtf8(key).split('/').slice(0, 3).join('/') + '/';
  if (indexOfBytes(value, utf8('\n' + resourcePrefix)) >= 0) {
    throw inputError(
      'this looks like `etcdctl get --prefix` output of several keys, which cannot be split safely: use `etcdctl get --prefix -w json` to read each, or get one key',
    );
  }
  if (trailing) return { key, value, format: 'etcdctl' };
  const note =
    'the etcdctl output has no trailing newline (`$(…)` strips it): the value was read to the end; newlines it ended with, if any, are lost';
  return { key, value, format: 'etcdctl', note };
}

/** `etcdctl get -w json`: {"header":…, "kvs":[{"key": b64, "value": b64, …}], "count": N}, every key of it. */
function parseEtcdctlJsonAll(data: Uint8Array): ValueInput[] | null {
  let doc: unknown;
  try {
    doc = JSON.parse(fromUtf8(data));
  } catch {
    return null;
  }
  if (typeof doc !== 'object' || doc === null) return null;
  // No key found: etcdctl leaves out "kvs" and says count 0.
  const noKvs = !('kvs' in doc) || (Array.isArray(doc.kvs) && doc.kvs.length === 0);
  if (noKvs && 'header' in doc && 'count' in doc)
    throw inputError(`etcdctl found no key (count ${String(doc.count)}): check the key (and --prefix, --rev)`);
  if (!('kvs' in doc) || !Array.isArray(doc.kvs)) return null;
  return doc.kvs.map((raw: unknown) => {
    const kv = raw as { key?: unknown; value?: unknown };
    const key = typeof kv.key === 'string' ? decodeGoStdBase64(kv.key) : null;
    const value = typeof kv.value === 'string' ? decodeGoStdBase64(kv.value) : kv.value === undefined ? new Uint8Array(0) : null;
    if (key === null || value === null) throw inputError('etcdctl JSON output has a key or value that is not base64');
    return { key, value, format: 'etcdctl-json' } satisfies ValueInput;
  });
}

function parseEtcdctlJson(data: Uint8Array): ValueInput | null {
  const all = parseEtcdctlJsonAll(data);
  if (all === null) return null;
  if (all.length !== 1) throw inputError(`etcdctl JSON output holds ${all.length} keys; give exactly one`);
  return all[0]!;
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

function isText(data: Uint8Array): boolean {
  // Hex and base64 are ASCII; anything else is binary and stays raw.
  for (const b of data) if (b > 0x7e || (b < 0x20 && !isSpace(b))) return false;
  return true;
}

const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;

/**
 * Hex digits with whitespace anywhere and an optional 0x in front, decoded straight from the bytes:
 * pasted values can be hundreds of MB, too big for string copies.
 */
function parseHex(data: Uint8Array): Uint8Array | null {
  let start = 0;
  while (start < data.length && isSpace(data[start]!)) start++;
  if (data[start] === 0x30 && (data[start + 1] === 0x78 || data[start + 1] === 0x58)) start += 2;
  let digits = 0;
  for (let i = start; i < data.length; i++) {
    const b = data[i]!;
    if (HEX_VALUE[b]! >= 0) digits++;
    else if (!isSpace(b)) return null;
  }
  if (digits === 0 || digits % 2 !== 0) return null;
  const out = new Uint8Array(digits / 2);
  let o = 0;
  let high = -1;
  for (let i = start; i < data.length; i++) {
    const v = HEX_VALUE[data[i]!]!;
    if (v < 0) continue;
    if (high < 0) high = v;
    else {
      out[o++] = (high << 4) | v;
      high = -1;
    }
  }
  return out;
}

function parseBase64(data: Uint8Array): Uint8Array | null {
  return isText(data) ? decodeGoStdBase64(data, true) : null;
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

/** Every value of the input: several only for `etcdctl get --prefix -w json` output. */
export function parseValueInputs(data: Uint8Array, format: InputFormat = 'auto'): ValueInput[] {
  if ((format === 'auto' || format === 'etcdctl') && data[0] === OPEN_BRACE) {
    const all = parseEtcdctlJsonAll(data);
    if (all !== null && all.length > 1) return all;
  }
  return [parseValueInput(data, format)];
}

/**
 * Reads one stored value from `data` in the given form, or with `auto` (the default) the form it
 * looks like: raw bytes, `etcdctl get` text or `-w json`, hex, base64; anything else is taken as
 * raw. Throws ERR_INPUT when the input is not in the form asked for, or is etcdctl output of no
 * key or of several keys (use {@link parseValueInputs} for `--prefix -w json`).
 *
 * @example
 * ```ts
 * const { value, key } = parseValueInput(new TextEncoder().encode(etcdctlOutput));
 * ```
 */
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
