/**
 * A block-style YAML writer that lays text out as go-yaml v2's emitter (a libyaml port) does for
 * the JSON-shaped values kubectl prints: 2-space indentation, sequences not indented under their
 * key, `{}`/`[]` for empty collections, keys in go-yaml's natural order, the same choice between
 * plain, single-quoted, double-quoted and literal scalars, and long scalars folded after column 80.
 * It tracks the same column/whitespace/indention state as libyaml so the folding points match.
 */
import { utf8 } from '../bytes.ts';
import { plainIsString, yamlKeyLess } from './yaml-scalars.ts';

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
/** libyaml writes longer (or multi-line) keys as complex `? key` entries. */
const MAX_SIMPLE_KEY_BYTES = 128;

type Style = 'plain' | 'single' | 'double' | 'literal';

/** Wraps a number's final text so it is told apart from strings, which may need quotes. */
export class NumberBox {
  constructor(readonly text: string) {}
}

export type YamlValue = null | boolean | string | NumberBox | YamlValue[] | { [key: string]: YamlValue };

export function emitYamlDocument(root: YamlValue): string {
  const e = new Emitter();
  e.node(root, -1, false);
  e.indent(0);
  return e.out;
}

const isBreak = (c: string) => c === '\n' || c === '\r' || c === '\u0085' || c === '\u2028' || c === '\u2029';

function isPrintable(c: string): boolean {
  const u = c.codePointAt(0)!;
  return u === 0x0a || (u >= 0x20 && u <= 0x7e) || (u >= 0xa0 && u <= 0xd7ff) || (u >= 0xe000 && u <= 0xfffd && u !== 0xfeff);
}

interface Analysis {
  multiline: boolean;
  blockPlain: boolean;
  singleQuoted: boolean;
  block: boolean;
}

/** yaml_emitter_analyze_scalar, for block context. */
function analyze(chars: string[]): Analysis {
  if (chars.length === 0) return { multiline: false, blockPlain: true, singleQuoted: true, block: false };
  const s = chars.join('');
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let special = false;
  let lineBreaks = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  const blankAt = (i: number) => i >= chars.length || chars[i] === ' ' || chars[i] === '\t' || isBreak(chars[i]!);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const followedByWhitespace = blankAt(i + 1);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(c)) blockIndicators = true;
      else if ((c === '?' || c === ':' || c === '-') && followedByWhitespace) blockIndicators = true;
    } else if ((c === ':' && followedByWhitespace) || (c === '#' && precededByWhitespace)) blockIndicators = true;
    if (!isPrintable(c)) special = true;
    if (c === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = blankAt(i);
  }
  const blockPlain = !(
    leadingSpace ||
    leadingBreak ||
    trailingSpace ||
    trailingBreak ||
    breakSpace ||
    spaceBreak ||
    special ||
    lineBreaks ||
    blockIndicators
  );
  let singleQuoted = !(breakSpace || spaceBreak || special);
  const block = !(trailingSpace || spaceBreak || special);
  // Our writer does not reproduce libyaml's break handling inside quotes: keep such text escaped.
  if (chars.some((c) => isBreak(c) && c !== '\n')) singleQuoted = false;
  return { multiline: lineBreaks, blockPlain, singleQuoted, block };
}

class Emitter {
  out = '';
  private column = 0;
  private whitespace = true;
  private indention = true;

  private put(s: string): void {
    this.out += s;
    this.column += s.length === 1 || !/[\ud800-\udfff]/.test(s) ? s.length : Array.from(s).length;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** yaml_emitter_write_indent. */
  indent(indent: number): void {
    indent = Math.max(indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
    this.indention = true;
  }

  private indicator(s: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.put(s);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** A node whose parent collection is at `parent` indentation (-1 at the document root). */
  node(v: YamlValue, parent: number, simpleKey: boolean): void {
    if (v instanceof NumberBox) return this.plain(v.text, parent, simpleKey);
    if (Array.isArray(v)) {
      if (v.length === 0) return this.emptyFlow('[]');
      // Sequences directly under a mapping key are not indented (go-yaml v2 style).
      const indent = parent < 0 ? 0 : this.inMappingValue ? parent : parent + BEST_INDENT;
      for (const item of v) {
        this.indent(indent);
        this.indicator('-', true, false, true);
        this.inMappingValue = false;
        this.node(item, indent, false);
      }
      return;
    }
    if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v).sort((a, b) => (yamlKeyLess(a, b) ? -1 : yamlKeyLess(b, a) ? 1 : 0));
      if (keys.length === 0) return this.emptyFlow('{}');
      const indent = parent < 0 ? 0 : parent + BEST_INDENT;
      for (const k of keys) {
        this.indent(indent);
        const chars = Array.from(k);
        const a = analyze(chars);
        if (utf8(k).length <= MAX_SIMPLE_KEY_BYTES && !a.multiline) {
          this.scalar(k, indent, true);
          this.indicator(':', false, false, false);
        } else {
          this.indicator('?', true, false, true);
          this.scalar(k, indent, false);
          this.indent(indent);
          this.indicator(':', true, false, true);
        }
        this.inMappingValue = true;
        this.node((v as Record<string, YamlValue>)[k]!, indent, false);
        this.inMappingValue = false;
      }
      return;
    }
    if (v === null || typeof v === 'boolean') return this.plain(String(v), parent, simpleKey);
    this.scalar(v, parent, simpleKey);
  }

  private inMappingValue = false;

  private emptyFlow(text: string): void {
    this.indicator(text[0]!, true, true, false);
    this.indicator(text[1]!, false, false, false);
  }

  /** A string scalar: go-yaml's requested style, then libyaml's fallbacks. */
  private scalar(s: string, parent: number, simpleKey: boolean): void {
    const chars = Array.from(s);
    const a = analyze(chars);
    let style: Style = s.includes('\n') ? 'literal' : plainIsString(s) ? 'plain' : 'double';
    if (simpleKey && a.multiline) style = 'double';
    if (style === 'plain' && (!a.blockPlain || (chars.length === 0 && simpleKey))) style = 'single';
    if (style === 'single' && !a.singleQuoted) style = 'double';
    if (style === 'literal' && (!a.block || simpleKey)) style = 'double';
    // Scalars are laid out one level deeper than the collection holding them.
    const indent = parent < 0 ? 0 : parent + BEST_INDENT;
    const allowBreaks = !simpleKey;
    if (style === 'plain') this.plain(s, parent, simpleKey);
    else if (style === 'single') this.singleQuoted(chars, indent, allowBreaks);
    else if (style === 'double') this.doubleQuoted(chars, indent, allowBreaks);
    else this.literal(chars, indent);
  }

  private plain(s: string, parent: number, simpleKey: boolean): void {
    const indent = parent < 0 ? 0 : parent + BEST_INDENT;
    const chars = Array.from(s);
    if (!this.whitespace) this.put(' ');
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === ' ') {
        if (!simpleKey && !spaces && this.column > BEST_WIDTH && chars[i + 1] !== ' ') this.indent(indent);
        else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        this.indention = false;
        spaces = false;
      }
    }
    this.whitespace = false;
    this.indention = false;
  }

  private singleQuoted(chars: string[], indent: number, allowBreaks: boolean): void {
    this.indicator("'", true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1 && chars[i + 1] !== ' ')
          this.indent(indent);
        else this.put(c);
        spaces = true;
      } else {
        this.put(c === "'" ? "''" : c);
        this.indention = false;
        spaces = false;
      }
    }
    this.indicator("'", false, false, false);
  }

  private doubleQuoted(chars: string[], indent: number, allowBreaks: boolean): void {
    this.indicator('"', true, false, false);
    let spaces = false;
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (!isPrintable(c) || c === '\ufeff' || isBreak(c) || c === '"' || c === '\\') {
        this.put(escapeDoubleQuoted(c));
        spaces = false;
      } else if (c === ' ') {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== chars.length - 1) {
          this.indent(indent);
          if (chars[i + 1] === ' ') this.put('\\');
        } else this.put(c);
        spaces = true;
      } else {
        this.put(c);
        spaces = false;
      }
    }
    this.indicator('"', false, false, false);
  }

  private literal(chars: string[], indent: number): void {
    let hints = '';
    if (chars[0] === ' ' || isBreak(chars[0]!)) hints += String(BEST_INDENT);
    const last = chars.length - 1;
    if (!isBreak(chars[last]!)) hints += '-';
    else if (last === 0 || isBreak(chars[last - 1]!)) hints += '+';
    this.indicator('|' + hints, true, false, false);
    this.putBreak();
    this.indention = true;
    this.whitespace = true;
    let breaks = true;
    for (const c of chars) {
      if (c === '\n') {
        this.putBreak();
        this.indention = true;
        breaks = true;
      } else {
        if (breaks) this.indent(indent);
        this.put(c);
        this.indention = false;
        breaks = false;
      }
    }
  }
}

const NAMED_ESCAPES: Record<string, string> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\x0b': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u00a0': '\\_',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

function escapeDoubleQuoted(c: string): string {
  const named = NAMED_ESCAPES[c];
  if (named !== undefined) return named;
  const u = c.codePointAt(0)!;
  const hex = u.toString(16).toUpperCase();
  if (u <= 0xff) return '\\x' + hex.padStart(2, '0');
  if (u <= 0xffff) return '\\u' + hex.padStart(4, '0');
  return '\\U' + hex.padStart(8, '0');
}
