/**
 * YAML to JSON the way the apiserver does it (sigs.k8s.io/yaml over go-yaml v2): YAML 1.1 plain
 * scalars (`yes`, `on`, `0x1F`, `1_000` are not strings), only the first document, map keys
 * stringified and sorted (Go marshals a map), the last duplicate key wins. Strict decoding also
 * reports every duplicate key, with go-yaml's text, as a strict error.
 */
import { Alias, LineCounter, parseAllDocuments, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import { compareBytes, utf8 } from '../bytes.ts';
import { goQuote } from '../go-quote.ts';
import type { JObject, JValue } from './go-json-parse.ts';

export class YamlDecodeError extends Error {}

export interface YamlToJsonResult {
  json: JValue;
  /** go-yaml's strict-mode complaint (duplicate keys), or null. */
  strictError: string | null;
}

/** A go-yaml v2 value: scalars resolved, maps as ordered [key, value] lists (keys may repeat). */
type GoValue = null | boolean | string | { int: bigint } | { float: number } | GoValue[] | GoMap;
interface GoMap {
  map: [GoValue, GoValue][];
}

/** go-yaml v2's billion-laughs guard: the share of decoding work allowed to come from aliases. */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99;
  if (decodeCount >= 4_000_000) return 0.1;
  return 0.99 - (0.89 * (decodeCount - 400_000)) / 3_600_000;
}
const TAG = 'tag:yaml.org,2002:';

export function yamlToJson(text: string): YamlToJsonResult {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { schema: 'failsafe', uniqueKeys: false, prettyErrors: false, lineCounter: lines });
  const doc = Array.isArray(docs) ? docs[0] : undefined;
  if (doc === undefined) return { json: null, strictError: null };
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const line = problem.linePos?.[0].line;
    throw new YamlDecodeError(`yaml: ${line === undefined ? '' : `line ${line}: `}${problem.message.split('\n')[0]}`);
  }
  const duplicates: string[] = [];
  const value = new GoYamlDecoder(doc, lines, duplicates).decode(doc.contents);
  return {
    json: toJson(value),
    strictError: duplicates.length === 0 ? null : `yaml: unmarshal errors:\n  ${duplicates.join('\n  ')}`,
  };
}

class GoYamlDecoder {
  private decodeCount = 0;
  private aliasCount = 0;
  private aliasDepth = 0;
  private readonly inProgress = new Set<Node>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly duplicates: string[],
  ) {}

  decode(node: unknown): GoValue {
    if (node === null || node === undefined) return null;
    this.decodeCount++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (this.aliasCount > 100 && this.decodeCount > 1000 && this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)) {
      throw new YamlDecodeError('yaml: document contains excessive aliasing');
    }
    if (node instanceof Alias) {
      const target = node.resolve(this.doc);
      if (target === undefined) throw new YamlDecodeError(`yaml: unknown anchor '${node.source}' referenced`);
      if (this.inProgress.has(target)) throw new YamlDecodeError(`yaml: anchor '${node.source}' value contains itself`);
      this.inProgress.add(target);
      this.aliasDepth++;
      try {
        return this.decode(target);
      } finally {
        this.aliasDepth--;
        this.inProgress.delete(target);
      }
    }
    if (isScalar(node)) return resolveScalar(node.type, String(node.value), node.tag);
    if (isSeq(node)) return node.items.map((item) => this.decode(item));
    if (isMap(node)) {
      const out: GoMap = { map: [] };
      for (const pair of node.items) {
        const key = this.decode(pair.key);
        if (isScalar(pair.key) && pair.key.type === 'PLAIN' && pair.key.tag === undefined && key === '<<') {
          this.merge(pair.value, out);
          continue;
        }
        const at = (pair.value as Node | null)?.range ?? (pair.key as Node | null)?.range;
        this.set(out, key, this.decode(pair.value), at == null ? 0 : this.lines.linePos(at[0]).line);
      }
      return out;
    }
    return null;
  }

  /** go-yaml's `<<`: a map, or a list of maps of which earlier ones take precedence. */
  private merge(node: unknown, into: GoMap): void {
    const wantMap = () => new YamlDecodeError('yaml: map merge requires map or sequence of maps as the value');
    const sources = isSeq(node) ? [...node.items].reverse() : [node];
    for (const source of sources) {
      const target = source instanceof Alias ? source.resolve(this.doc) : source;
      if (!isMap(target)) throw wantMap();
      const merged = this.decode(source) as GoMap;
      for (const [k, v] of merged.map) this.set(into, k, v, this.lines.linePos((target.range ?? [0])[0]).line);
    }
  }

  private set(map: GoMap, key: GoValue, value: GoValue, line: number): void {
    const id = keyIdentity(key);
    if (map.map.some(([k]) => keyIdentity(k) === id)) {
      this.duplicates.push(`line ${line}: key ${goSharpV(key)} already set in map`);
      map.map = map.map.filter(([k]) => keyIdentity(k) !== id);
    }
    map.map.push([key, value]);
  }
}

/** go-yaml v2's resolve(): which Go value a scalar becomes. Quoted scalars stay strings. */
function resolveScalar(style: string | undefined, text: string, tag: string | undefined): GoValue {
  const plain = style === 'PLAIN';
  if (tag === `${TAG}str` || tag === '!') return text;
  if (tag === undefined || !tag.startsWith(TAG) || tag === `${TAG}map` || tag === `${TAG}seq`) {
    return plain ? resolvePlain(text) : text;
  }
  const want = tag.slice(TAG.length);
  const resolved = resolvePlain(text);
  const got = goTypeTag(resolved);
  if (got === want) return resolved;
  if (want === 'float' && got === 'int') return { float: Number((resolved as { int: bigint }).int) };
  throw new YamlDecodeError(`yaml: cannot decode !!${got} \`${text}\` as a !!${want}`);
}

const words = <T>(list: string, value: T) => list.split(' ').map((w): [string, T] => [w, value]);
const BOOLS = new Map([
  ...words('y Y yes Yes YES true True TRUE on On ON', true),
  ...words('n N no No NO false False FALSE off Off OFF', false),
]);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Map([
  ...words('.inf .Inf .INF +.inf +.Inf +.INF', Infinity),
  ...words('-.inf -.Inf -.INF', -Infinity),
  ...words('.nan .NaN .NAN', NaN),
]);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;

function resolvePlain(text: string): GoValue {
  if (NULLS.has(text)) return null;
  const bool = BOOLS.get(text);
  if (bool !== undefined) return bool;
  const special = SPECIAL_FLOATS.get(text);
  if (special !== undefined) return { float: special };
  if (!/^[-+0-9.]/.test(text)) return text;
  const plain = text.replaceAll('_', '');
  const m = GO_INT.exec(plain);
  if (m !== null) {
    const [, sign, body = ''] = m;
    const digits = /^0[0-7]+$/.test(body) ? `0o${body.slice(1)}` : body;
    const v = BigInt(digits) * (sign === '-' ? -1n : 1n);
    if (v >= -(1n << 63n) && v < 1n << 64n && !(sign !== '' && v >= 1n << 63n)) return { int: v };
  }
  if (YAML_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return { float: f };
  }
  return text;
}

function goTypeTag(v: GoValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'str';
  if (Array.isArray(v)) return 'seq';
  if ('int' in v) return 'int';
  if ('float' in v) return 'float';
  return 'map';
}

// JSON.stringify throws on bigints, which a complex key (`? {a: 1}`) holds: spell them out.
const bigintAsText = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `\u0000int:${v}` : v);

function keyIdentity(k: GoValue): string {
  return `${goTypeTag(k)}:${typeof k === 'object' && k !== null && !Array.isArray(k) && !('map' in k) ? String('int' in k ? k.int : k.float) : JSON.stringify(k, bigintAsText)}`;
}

/** fmt's %#v of the key, as go-yaml prints it in `key … already set in map`. */
function goSharpV(k: GoValue): string {
  if (k === null) return '<nil>';
  if (typeof k === 'string') return goQuote(k);
  if (typeof k === 'boolean') return String(k);
  if (!Array.isArray(k) && 'int' in k) return k.int.toString();
  if (!Array.isArray(k) && 'float' in k) return String(k.float);
  return '<complex key>';
}

/** sigs.k8s.io/yaml's JSON conversion: string keys sorted by bytes, then encoding/json rules. */
function toJson(v: GoValue): JValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toJson);
  if ('int' in v) return { kind: 'number', text: v.int.toString() };
  if ('float' in v) {
    if (!Number.isFinite(v.float)) {
      throw new YamlDecodeError(`json: unsupported value: ${Number.isNaN(v.float) ? 'NaN' : v.float > 0 ? '+Inf' : '-Inf'}`);
    }
    return { kind: 'number', text: String(v.float) };
  }
  const byKey = new Map<string, JValue>();
  for (const [k, value] of v.map) byKey.set(jsonKey(k, value), toJson(value));
  const entries = [...byKey.entries()].sort(([a], [b]) => compareBytes(utf8(a), utf8(b)));
  return { kind: 'object', entries } satisfies JObject;
}

function jsonKey(k: GoValue, value: GoValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'boolean') return String(k);
  if (k !== null && !Array.isArray(k) && 'int' in k) return k.int.toString();
  if (k !== null && !Array.isArray(k) && 'float' in k) {
    if (Number.isNaN(k.float)) return '.nan';
    if (!Number.isFinite(k.float)) return k.float > 0 ? '.inf' : '-.inf';
    return String(k.float);
  }
  if (k === null) throw new YamlDecodeError(`unsupported map key of type: %!s(<nil>), key: <nil>, value: ${goSharpV(value)}`);
  throw new YamlDecodeError('yaml: invalid map key');
}
