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
// Without surrogates, UTF-16 code-unit order is UTF-8 byte order, so the default sort is Go's.
const NO_SURROGATES = /^[^\ud800-\udfff]*$/;

export function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  if (keys.length < 2) return keys;
  if (keys.every((k) => NO_SURROGATES.test(k))) return keys.sort();
  const bytes = new Map(keys.map((k) => [k, rawBytesFromString(k)]));
  return keys.sort((a, b) => compareBytes(bytes.get(a)!, bytes.get(b)!));
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
  let out = '{';
  for (const k of sortKeys ? sortedKeys(rec) : Object.keys(rec)) {
    const s = compactGoJson(rec[k], sortKeys);
    if (s !== undefined) out += (out.length === 1 ? '' : ',') + goJsonRawString(k) + ':' + s;
  }
  return out + '}';
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
