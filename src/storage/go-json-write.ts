/**
 * JSON text as Go's encoding/json writes it: HTML-safe escapes (`<` → `\u003c`), U+2028/2029
 * escaped, invalid UTF-8 (our surrogate escapes) as `\ufffd`, integers exact, and MarshalIndent's
 * layout. Key order is either as given or sorted as Go sorts map keys (by UTF-8 bytes).
 */
import { compareBytes } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { rawBytesFromString } from './raw-string.ts';

export interface GoJsonOptions {
  /** MarshalIndent's indent string; compact output when absent. */
  indent?: string;
  /** Sort object keys by their UTF-8 bytes, as Go does for maps (and so for kubectl's output). */
  sortKeys?: boolean;
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * json.Marshal of a Go string held as a raw string (raw-string.ts: a lone surrogate stands for an
 * invalid byte, which Go writes as the escape `\ufffd`). Not strconv.Quote (transformers/go-quote.ts),
 * and not config's goJsonString, whose strings came through Go's JSON decoder and so hold a real U+FFFD.
 */
function goJsonRawString(s: string): string {
  if (PLAIN.test(s)) return '"' + s + '"';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short !== undefined) out += short;
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += '\\u' + c.toString(16).padStart(4, '0');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && isLow(s.charCodeAt(i + 1))) {
      out += ch + s[++i]!;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\\ufffd';
    } else out += ch;
  }
  return out + '"';
}

const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

// Printable ASCII that Go writes as is: no quote, backslash, `<`, `>` or `&`. Most strings in
// Kubernetes objects (names, base64 data) are only this, and skip the per-character loop.
const PLAIN = /^[ !#-%'-;=?-[\]-~]*$/;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * `"key":` for the keys met so far without surrogates (so also known to sort by UTF-16 units):
 * the same few dozen field names and map keys recur in every object.
 */
const keyTexts = new Map<string, string>();
const MAX_KEY_TEXTS = 4096;

/**
 * Keys in Go's map order, UTF-8 byte order. Without surrogates UTF-16 code-unit order is that
 * order, so `<` compares them; keys that already come in order (protobuf maps are written
 * sorted, and so decode sorted) are returned without sorting.
 */
export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!keyTexts.has(k) && SURROGATE.test(k)) return sortByBytes(keys);
    if (sorted && i > 0 && keys[i - 1]! > k) sorted = false;
  }
  return sorted ? keys : sortedLikeBefore(keys);
}

/**
 * Objects of one kind come with their keys in one order (the decoder's field order), so the last
 * few orders met and their sorted forms are kept: the same keys in the same order sort the same.
 */
const KEPT_ORDERS = 8;
const keptOrders: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(KEPT_ORDERS).fill(undefined);
const keptSorted: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(KEPT_ORDERS).fill(undefined);
let nextKept = 0;

/** keys.sort(), for keys without surrogates. */
function sortedLikeBefore(keys: string[]): string[] {
  for (let s = 0; s < KEPT_ORDERS; s++) {
    const order = keptOrders[s];
    if (order === undefined || order.length !== keys.length) continue;
    let i = 0;
    while (i < keys.length && order[i] === keys[i]) i++;
    if (i === keys.length) return keptSorted[s]!.slice();
  }
  keptOrders[nextKept] = keys.slice();
  keptSorted[nextKept] = keys.sort().slice();
  nextKept = (nextKept + 1) % KEPT_ORDERS;
  return keys;
}

function sortByBytes(keys: string[]): string[] {
  const bytes = new Map(keys.map((k) => [k, rawBytesFromString(k)]));
  return keys.sort((a, b) => compareBytes(bytes.get(a)!, bytes.get(b)!));
}

/**
 * The maps whose values the decoder last made as base64 (Secret data, ConfigMap binaryData), with
 * those values: base64 needs no escaping, so the writer skips its check on the KiBs of them. A scan
 * prints each object right after decoding it, so a few recent maps are enough and few big values
 * outlive their object (a WeakMap entry per map cost more than the check it saved). The values are
 * compared, not trusted: a map changed since decoding holds other strings, checked as usual.
 */
const RECENT_MAPS = 4;
const recentMaps: (object | undefined)[] = new Array<object | undefined>(RECENT_MAPS).fill(undefined);
const recentValues: (readonly string[] | undefined)[] = new Array<readonly string[] | undefined>(RECENT_MAPS).fill(undefined);
let nextRecent = 0;

/** Notes that `map`'s values, as they are now, are base64 text written by the decoder. */
export function noteBase64Values(map: Record<string, string>): void {
  recentMaps[nextRecent] = map;
  recentValues[nextRecent] = Object.values(map);
  nextRecent = (nextRecent + 1) % RECENT_MAPS;
}

function base64ValuesOf(map: object): readonly string[] | undefined {
  for (let i = 0; i < RECENT_MAPS; i++) if (recentMaps[i] === map) return recentValues[i];
  return undefined;
}

export function goNumber(n: number | bigint): string {
  if (typeof n === 'bigint') return n.toString();
  if (!Number.isFinite(n)) throw new K8sEncError('ERR_OBJECT', `json: unsupported value: ${n}`);
  // Go's float formatting switches to exponents at the same points as JavaScript's (1e21, 1e-7).
  return Object.is(n, -0) ? '0' : String(n);
}

/** A scalar's JSON; undefined for what Go leaves out (functions, symbols); null for objects and arrays. */
function scalarGoJson(v: unknown): string | undefined | null {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return goJsonRawString(v);
    case 'number':
    case 'bigint':
      return goNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      return null;
    default:
      return undefined;
  }
}

/**
 * The compact form (`-o ndjson`, once per object in a scan) in one string built as it goes, with
 * no arrays of parts and no closures: the same text as the general writer below.
 */
function compactGoJson(v: unknown, sortKeys: boolean): string | undefined {
  const scalar = scalarGoJson(v);
  if (scalar !== null) return scalar;
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i === 0 ? '' : ',') + (compactGoJson(v[i], sortKeys) ?? 'null');
    return out + ']';
  }
  const rec = v as Record<string, unknown>;
  const base64 = base64ValuesOf(rec);
  const keys = sortKeys ? sortedKeys(rec) : Object.keys(rec);
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const x = rec[k];
    const s = base64 !== undefined && typeof x === 'string' && base64.includes(x) ? '"' + x + '"' : compactGoJson(x, sortKeys);
    if (s !== undefined) out += (out.length === 1 ? '' : ',') + keyJson(k) + s;
  }
  return out + '}';
}

function keyJson(k: string): string {
  let text = keyTexts.get(k);
  if (text === undefined) {
    text = goJsonRawString(k) + ':';
    if (SURROGATE.test(k)) return text;
    if (keyTexts.size >= MAX_KEY_TEXTS) keyTexts.clear();
    keyTexts.set(k, text);
  }
  return text;
}

export function toGoJson(value: unknown, opts: GoJsonOptions = {}): string {
  const indent = opts.indent;
  if (indent === undefined) return compactGoJson(value, opts.sortKeys === true) ?? 'null';
  const write = (v: unknown, depth: number): string | undefined => {
    const scalar = scalarGoJson(v);
    if (scalar !== null) return scalar;
    const nl = indent === undefined ? '' : '\n' + indent.repeat(depth + 1);
    const close = indent === undefined ? '' : '\n' + indent.repeat(depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return '[' + v.map((x) => nl + (write(x, depth + 1) ?? 'null')).join(',') + close + ']';
    }
    const rec = v as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of opts.sortKeys ? sortedKeys(rec) : Object.keys(rec)) {
      const s = write(rec[k], depth + 1);
      if (s !== undefined) parts.push(nl + goJsonRawString(k) + (indent === undefined ? ':' : ': ') + s);
    }
    return parts.length === 0 ? '{}' : '{' + parts.join(',') + close + '}';
  };
  return write(value, 0) ?? 'null';
}
