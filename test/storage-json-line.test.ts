// `-o ndjson` lines and the JSON string/key fast paths, against references built from
// JSON.stringify and UTF-8 byte order (not from the code under test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { toGoJson } from '../src/storage/go-json-write.ts';
import { toJson, toJsonLine } from '../src/storage/output.ts';
import type { KubeObject } from '../src/storage/types.ts';

/** encoding/json's string: JSON's, plus HTML-safe and line-separator escapes, lone surrogates as U+FFFD. */
function goString(s: string): string {
  return JSON.stringify(s)
    .replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, '\\ufffd');
}

test('strings are escaped as Go escapes them, on the fast path and off it', () => {
  const strings = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.constantFrom('a<b', 'x&y', '"q"', 'back\\slash', 'plain-name.1', '\u2028', 'tab\t'),
  );
  fc.assert(
    fc.property(strings, (s) => assert.equal(toGoJson(s), goString(s))),
    { numRuns: 2000 },
  );
});

/** The keys of a flat object of numbers in the text's order (JSON.parse would move integer-like keys first). */
function keysInTextOrder(json: string): string[] {
  const keys: string[] = [];
  const entry = /[{,]("(?:[^"\\]|\\.)*"):\d+/y;
  let end = 0;
  for (let m = entry.exec(json); m !== null; m = entry.exec(json)) {
    keys.push(JSON.parse(m[1]!) as string);
    end = entry.lastIndex;
  }
  assert.equal(json.slice(end), keys.length === 0 ? '{}' : '}', 'a flat object of numbers');
  return keys;
}

test('object keys come out in UTF-8 byte order, as Go sorts map keys', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: 'binary' }), { maxLength: 12 }), (keys) => {
      const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
      const want = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.deepEqual(keysInTextOrder(toGoJson(obj, { sortKeys: true })), want);
    }),
    { numRuns: 1000 },
  );
});

test('an ndjson line is the -o json object on one line, and keeps int64 beyond 2^53', () => {
  const secret: KubeObject = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's<1>', namespace: 'default', generation: 2n ** 60n + 1n },
    data: { '9': 'AA==', '10': 'AQ==' },
  };
  const line = toJsonLine(secret);
  assert.ok(!line.includes('\n'));
  assert.match(line, /"generation":1152921504606846977[,}]/);
  assert.match(line, /"name":"s\\u003c1\\u003e"/);
  assert.equal(line, toJson(secret).replace(/\n\s*/g, '').replace(/": /g, '":'));
});

/** Go's compact JSON by another route: JSON.stringify per scalar, keys in UTF-8 byte order, Go's escapes. */
function goCompactReference(v: unknown, sortKeys: boolean): string {
  const text = (x: unknown): string => {
    if (Array.isArray(x)) return '[' + x.map(text).join(',') + ']';
    if (typeof x !== 'object' || x === null) return JSON.stringify(x);
    const keys = Object.keys(x);
    if (sortKeys) keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + text((x as Record<string, unknown>)[k])).join(',') + '}';
  };
  return text(v)
    .replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
    .replace(/\\ud[89a-f][0-9a-f]{2}/g, '\\ufffd');
}

test('compact output (the ndjson writer) equals Go compact JSON of any JSON value, sorted or not', () => {
  const value = fc.jsonValue({ maxDepth: 4 }).filter((v) => !/\\\\ud[89a-f]/i.test(JSON.stringify(v)));
  fc.assert(
    fc.property(value, fc.boolean(), (v, sortKeys) => {
      assert.equal(toGoJson(v, { sortKeys }), goCompactReference(v, sortKeys));
    }),
    { numRuns: 1000 },
  );
});

test('keys that already come in order (as decoded protobuf maps do) still print in UTF-8 byte order', () => {
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  fc.assert(
    fc.property(fc.uniqueArray(fc.string({ unit: 'binary' }), { maxLength: 12 }), fc.boolean(), (keys, utf16Order) => {
      const inOrder = utf16Order ? [...keys].sort() : [...keys].sort(byBytes);
      const obj = Object.fromEntries(inOrder.map((k, i) => [k, i]));
      assert.deepEqual(keysInTextOrder(toGoJson(obj, { sortKeys: true })), [...keys].sort(byBytes));
    }),
    { numRuns: 1000 },
  );
});

test('keys print right past the writer’s cache of key texts, escapes included', () => {
  const obj = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k<${i}>\u2028${String.fromCharCode(0xd800 + (i % 3))}`, i]));
  const want = goCompactReference(obj, true);
  assert.equal(toGoJson(obj, { sortKeys: true }), want);
  assert.equal(toGoJson(obj, { sortKeys: true }), want);
});

/** A Secret as stored, with random data and random other strings. */
const storedSecret = fc
  .record({
    name: fc.string({ unit: 'binary' }),
    labels: fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), { maxKeys: 4 }),
    data: fc.dictionary(fc.string({ unit: 'binary' }), fc.uint8Array({ maxLength: 200 }), { maxKeys: 4 }),
  })
  .map(({ name, labels, data }) =>
    encodeObject({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, labels },
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    }),
  );

test('a decoded Secret’s base64 data prints unchecked only while it is the decoder’s: changed values are escaped', () => {
  const noEscapeText = (s: string) => !/\\u[dD][89a-fA-F]/.test(s);
  fc.assert(
    fc.property(storedSecret, fc.array(fc.tuple(fc.string(), fc.string({ unit: 'binary' }).filter(noEscapeText))), (bytes, edits) => {
      const obj = decodeObject(bytes) as KubeObject & { data?: Record<string, string> };
      const untouched = goCompactReference(structuredClone(obj), true);
      assert.equal(toJsonLine(obj), untouched);
      if (edits.length === 0) return;
      obj.data ??= {};
      for (const [k, v] of edits) obj.data[k] = v + '<&>\u2028\u0001';
      assert.equal(toJsonLine(obj), goCompactReference(structuredClone(obj), true));
    }),
    { numRuns: 500 },
  );
});

test('objects whose keys come in the same orders again (as one kind’s objects do) print sorted every time', () => {
  const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  // Orders of a few keys (same length, often the same first key), more than the writer keeps, so
  // that orders recur and are also evicted.
  const pool = ['b', 'a', 'c', '\u{1f600}', '\uff61', 'ab'];
  const keyLists = fc.shuffledSubarray(pool, { minLength: 2 });
  fc.assert(
    fc.property(fc.array(keyLists, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 60 }), (lists, picks) => {
      for (const pick of [...lists.keys(), ...picks]) {
        const keys = lists[pick % lists.length]!;
        const obj = Object.fromEntries(keys.map((k, i) => [k, i]));
        assert.deepEqual(keysInTextOrder(toGoJson(obj, { sortKeys: true })), [...keys].sort(byBytes));
      }
    }),
    { numRuns: 300 },
  );
});
