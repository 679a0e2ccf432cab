/**
 * The JSON document model the apiserver's decoder sees (after sigs.k8s.io/yaml turned YAML into
 * JSON), plus Go encoding/json's syntax checking and string marshalling. Objects keep their keys in
 * order and with duplicates, because strict decoding reports `duplicate field` errors.
 */
import { goQuote } from '../go-quote.ts';

export interface JNumber {
  kind: 'number';
  /** The literal as written, e.g. `10`, `1.5`, `1e3`: Go's errors quote it and int32 parsing needs it. */
  text: string;
}
export interface JObject {
  kind: 'object';
  entries: [string, JValue][];
}
export type JValue = null | boolean | string | JNumber | JValue[] | JObject;

/** Go's name for the JSON kind of a value, as in `cannot unmarshal <kind> into …`. */
export function jsonKind(v: JValue): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return v.kind;
}

/**
 * json.Marshal of a config string: HTML-safe escapes; a lone surrogate (a `\ud800` escape that Go's
 * decoder had already turned into U+FFFD) as a literal U+FFFD. storage/go-json-write.ts escapes it
 * instead, because there a lone surrogate stands for an invalid byte.
 */
export function goJsonString(s: string): string {
  const wellFormed = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return JSON.stringify(wellFormed).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export class JsonSyntaxError extends Error {}

/** Parses JSON text like Go's scanner: the same accepted language and the same error texts. */
export function parseGoJson(text: string): JValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (context: string): never => {
    if (i >= text.length) throw new JsonSyntaxError('unexpected end of JSON input');
    throw new JsonSyntaxError(`invalid character ${quoteChar(text[i]!)} ${context}`);
  };
  const expect = (ch: string, context: string) => {
    if (text[i] !== ch) fail(context);
    i++;
  };

  const value = (): JValue => {
    ws();
    const c = text[i];
    if (c === '{') return object();
    if (c === '[') return array();
    if (c === '"') return string('in string literal');
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (c === word[0]) {
        i++;
        for (const want of word.slice(1)) {
          if (text[i] !== want) fail(`in literal ${word} (expecting ${quoteChar(want)})`);
          i++;
        }
        return v;
      }
    }
    return fail('looking for beginning of value');
  };

  const object = (): JObject => {
    i++;
    const entries: [string, JValue][] = [];
    ws();
    if (text[i] === '}') {
      i++;
      return { kind: 'object', entries };
    }
    for (;;) {
      ws();
      if (text[i] !== '"') fail('looking for beginning of object key string');
      const key = string('in string literal');
      ws();
      expect(':', 'after object key');
      entries.push([key, value()]);
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect('}', 'after object key:value pair');
      return { kind: 'object', entries };
    }
  };

  const array = (): JValue[] => {
    i++;
    const items: JValue[] = [];
    ws();
    if (text[i] === ']') {
      i++;
      return items;
    }
    for (;;) {
      items.push(value());
      ws();
      if (text[i] === ',') {
        i++;
        continue;
      }
      expect(']', 'after array element');
      return items;
    }
  };

  const string = (context: string): string => {
    i++;
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return fail(context);
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail(context);
      if (c !== '\\') {
        out += c;
        i++;
        continue;
      }
      i++;
      const e = text[i];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && simple[e] !== undefined) {
        out += simple[e];
        i++;
      } else if (e === 'u') {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('in \\u hexadecimal character escape');
          i++;
        }
        out += String.fromCharCode(parseInt(text.slice(i - 4, i), 16));
      } else {
        fail('in string escape code');
      }
    }
  };

  const number = (): JNumber => {
    const start = i;
    if (text[i] === '-') i++;
    const digits = () => {
      while (/[0-9]/.test(text[i] ?? '')) i++;
    };
    if (text[i] === '0') i++;
    else if (/[1-9]/.test(text[i] ?? '')) digits();
    else fail('in numeric literal');
    if (text[i] === '.') {
      i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail('after decimal point in numeric literal');
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!/[0-9]/.test(text[i] ?? '')) fail('in exponent of numeric literal');
      digits();
    }
    return { kind: 'number', text: text.slice(start, i) };
  };

  const v = value();
  ws();
  if (i < text.length) fail('after top-level value');
  return v;
}

/** encoding/json's quoteChar: `'x'`, `'\''`, `'"'`, or a strconv.Quote escape in single quotes. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  return `'${goQuote(c).slice(1, -1)}'`;
}
