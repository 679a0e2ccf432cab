/**
 * The decoder reads fields in place, as ranges of the decrypted value (no view per field), and
 * formats times through a per-day cache: each against the plain way on random inputs, including
 * values that sit inside a bigger buffer with other bytes right before and after them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { K8sEncError } from '../src/errors.ts';
import { base64FromRange, mapKeyFromRange, stringFromRange } from '../src/storage/byte-range.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { openEnvelope, sealEnvelope } from '../src/storage/envelope.ts';
import { stringFromRawBytes } from '../src/storage/raw-string.ts';
import { formatTime, formatUnixSeconds } from '../src/storage/rfc3339.ts';
import { StorageWireReader } from '../src/storage/wire-reader.ts';
import { WireWriter } from '../src/protobuf/wire.ts';
import { referenceDecodeTyped } from './support/storage-decode-reference.ts';

const RUNS = { numRuns: 500 };

/** Bytes that are mostly ASCII, or anything: invalid UTF-8, a BOM, U+2028, 4-byte sequences, long runs. */
const someBytes = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  fc.uint8Array({ min: 0x20, max: 0x7f, maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => new Uint8Array(Buffer.from(s))),
  fc
    .tuple(
      fc.constantFrom([0xef, 0xbb, 0xbf], [0xe2, 0x80, 0xa8], [0xf0, 0x9f, 0x98, 0x80], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0x80]),
      fc.uint8Array({ min: 0x20, max: 0x7f, maxLength: 300 }),
    )
    .map(([odd, ascii]) => Uint8Array.from([...ascii.subarray(0, ascii.length >> 1), ...odd, ...ascii.subarray(ascii.length >> 1)])),
);

/** `inner` inside a bigger buffer, with random bytes before and after it. */
const embedded = (inner: fc.Arbitrary<Uint8Array>) =>
  fc.tuple(fc.uint8Array({ maxLength: 8 }), inner, fc.uint8Array({ maxLength: 8 })).map(([before, b, after]) => ({
    buf: Uint8Array.from([...before, ...b, ...after]),
    start: before.length,
    end: before.length + b.length,
  }));

/** The outcome of `f`: its value, or the K8sEncError's code and text. */
function outcome<T>(f: () => T): { value: T } | { code: string; message: string } {
  try {
    return { value: f() };
  } catch (e) {
    if (!(e instanceof K8sEncError)) throw e;
    return { code: e.code, message: e.message };
  }
}

describe('fields read in place', () => {
  it('stringFromRange is stringFromRawBytes of the range (ASCII, invalid UTF-8, BOM, U+2028, long)', () => {
    fc.assert(
      fc.property(embedded(someBytes), ({ buf, start, end }) => {
        assert.equal(stringFromRange(buf, start, end), stringFromRawBytes(buf.slice(start, end)));
      }),
      RUNS,
    );
  });

  it('base64FromRange is Node base64 of the range, within a Buffer or a plain view', () => {
    fc.assert(
      fc.property(embedded(fc.uint8Array({ maxLength: 400 })), fc.nat(4), ({ buf, start, end }, shift) => {
        const want = Buffer.from(buf.slice(start, end)).toString('base64');
        assert.equal(base64FromRange(buf, start, end), want);
        // A view that does not start at its buffer's start: ranges count from the view.
        const bigger = new Uint8Array(buf.length + shift);
        bigger.set(buf, shift);
        assert.equal(base64FromRange(bigger.subarray(shift), start, end), want);
      }),
      RUNS,
    );
  });

  it('a reader over [start, end) of a buffer reads what a reader over a copy reads, faults included', () => {
    const walk = (r: StorageWireReader) => {
      const seen: unknown[] = [];
      while (!r.done) {
        const { field, wire } = r.tag();
        seen.push(field, wire);
        if (wire === 2) seen.push(r.bytes(`f${field}`).join(','));
        else r.skip(wire, field);
      }
      return seen;
    };
    fc.assert(
      fc.property(embedded(fc.uint8Array({ maxLength: 40 })), ({ buf, start, end }) => {
        const inPlace = outcome(() => walk(new StorageWireReader(buf, 'M', '', start, end)));
        assert.deepStrictEqual(
          inPlace,
          outcome(() => walk(new StorageWireReader(buf.slice(start, end), 'M'))),
        );
      }),
      { numRuns: 2000 },
    );
  });

  const storedSecret = fc
    .record({
      name: fc.string({ unit: 'binary', maxLength: 20 }),
      labels: fc.dictionary(fc.string({ maxLength: 10 }), someBytes.map(stringFromRawBytes), { maxKeys: 3 }),
      data: fc.dictionary(fc.string({ maxLength: 10 }), fc.uint8Array({ maxLength: 100 }), { maxKeys: 3 }),
      created: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }).map((s) => formatTime(BigInt(s))),
    })
    .map(({ name, labels, data, created }) =>
      encodeObject({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, labels, creationTimestamp: created },
        data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
      }),
    );

  it('decodeObject of a value inside a bigger buffer equals decodeObject of a copy, cut or changed values included', () => {
    fc.assert(
      fc.property(
        storedSecret,
        fc.nat(),
        fc.integer({ min: -1, max: 255 }),
        fc.uint8Array({ maxLength: 6 }),
        fc.uint8Array({ maxLength: 6 }),
        (value, at, x, before, after) => {
          let b = value;
          if (x < 0) b = b.subarray(0, 4 + (at % (b.length - 3)));
          else {
            b = b.slice();
            b[4 + (at % (b.length - 4))] = x;
          }
          const buf = Uint8Array.from([...before, ...b, ...after]);
          const text = (o: unknown) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
          const inPlace = outcome(() => text(decodeObject(buf.subarray(before.length, before.length + b.length))));
          assert.deepStrictEqual(
            inPlace,
            outcome(() => text(decodeObject(b.slice()))),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('strings kept from one object to the next', () => {
  it('mapKeyFromRange is stringFromRange, for keys met again among thousands of others (slot collisions, long keys)', () => {
    fc.assert(
      fc.property(
        fc.array(embedded(someBytes), { minLength: 1, maxLength: 3000 }),
        fc.array(fc.nat(), { maxLength: 200 }),
        (keys, again) => {
          for (const i of [...keys.keys(), ...again.map((n) => n % keys.length)]) {
            const { buf, start, end } = keys[i]!;
            assert.equal(mapKeyFromRange(buf, start, end), stringFromRawBytes(buf.slice(start, end)));
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  /** runtime.Unknown's typeMeta read by the plain walk: last occurrence of each string wins, across repeated typeMeta fields. */
  function typeMetaOf(bytes: Uint8Array): { apiVersion: string; kind: string } {
    const got = { apiVersion: '', kind: '' };
    const r = new StorageWireReader(bytes.subarray(4), 'Unknown');
    while (!r.done) {
      const { field, wire } = r.tag();
      if (field !== 1) r.skip(wire, field);
      else {
        const t = new StorageWireReader(r.bytes('typeMeta'), 'TypeMeta');
        while (!t.done) {
          const { field: f, wire: w } = t.tag();
          if (f === 1) got.apiVersion = stringFromRawBytes(t.bytes('apiVersion'));
          else if (f === 2) got.kind = stringFromRawBytes(t.bytes('kind'));
          else t.skip(w, f);
        }
      }
    }
    return got;
  }

  it('openEnvelope reads the same strings as the plain walk when kinds repeat, alternate, or come in pieces', () => {
    // A typeMeta field: apiVersion and/or kind, from a small set so that the same bytes recur.
    const typeMeta = fc
      .record(
        { apiVersion: fc.constantFrom('v1', 'apps/v1', ''), kind: fc.constantFrom('Secret', 'ConfigMap', 'Pod') },
        { requiredKeys: [] },
      )
      .map(({ apiVersion, kind }) => {
        const w = new WireWriter();
        if (apiVersion !== undefined) w.bytes(1, Buffer.from(apiVersion));
        if (kind !== undefined) w.bytes(2, Buffer.from(kind));
        return w.finish();
      });
    const envelope = fc.array(typeMeta, { minLength: 1, maxLength: 3 }).map((metas) => {
      const w = new WireWriter();
      for (const m of metas) w.bytes(1, m);
      w.bytes(2, Uint8Array.of(0x0a, 0x00)).bytes(3, new Uint8Array(0)).bytes(4, new Uint8Array(0));
      return Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...w.finish()]);
    });
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 20 }), (envelopes) => {
        for (const b of [...envelopes, ...envelopes.reverse()]) {
          const { apiVersion, kind } = openEnvelope(b);
          assert.deepStrictEqual({ apiVersion, kind }, typeMetaOf(b));
        }
      }),
      RUNS,
    );
  });
});

describe('formatUnixSeconds through its per-day cache', () => {
  it('is formatTime for many times on the same few days, and past the cache’s size', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -62135596800, max: 253402300799 - 3 * 86400 }),
        fc.array(fc.nat(3 * 86400), { maxLength: 50 }),
        (day, offsets) => {
          for (const o of [0, ...offsets]) assert.equal(formatUnixSeconds(day + o), formatTime(BigInt(day + o)), String(day + o));
        },
      ),
      RUNS,
    );
    for (let d = 0; d < 5000; d++) {
      const s = -(2 ** 31) + d * 86400 + (d % 86400);
      assert.equal(formatUnixSeconds(s), formatTime(BigInt(s)));
    }
  });
});

describe('times read without a reader', () => {
  /** A Secret whose metadata.creationTimestamp is `time` as stored: any bytes. */
  const withTime = (time: Uint8Array) => {
    const metadata = new WireWriter().bytes(1, Buffer.from('s')).bytes(8, time).finish();
    return sealEnvelope({ apiVersion: 'v1', kind: 'Secret', raw: new WireWriter().bytes(1, metadata).finish() });
  };
  const varint = (v: bigint) => new WireWriter().varint(v).finish();
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
  // `08 seconds 10 nanos` as the apiserver writes it, and the shapes around it: a nanos varint of
  // 10 bytes or more, no nanos, fields in the other order or repeated, extra fields, cut bytes.
  const timeBytes = fc.oneof(
    fc
      .tuple(fc.oneof(int64, fc.bigInt({ min: 0n, max: 2n ** 50n })), fc.oneof(int64, fc.nat()))
      .map(([s, n]) => Uint8Array.from([0x08, ...varint(s), 0x10, ...varint(BigInt(n))])),
    fc
      .tuple(fc.bigInt({ min: 0n, max: 2n ** 50n }), fc.uint8Array({ minLength: 1, maxLength: 12 }))
      .map(([s, tail]) => Uint8Array.from([0x08, ...varint(s), 0x10, ...tail])),
    fc
      .tuple(
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        fc.constantFrom(
          [],
          [0x10],
          [0x10, 0x00, 0x08, 0x05],
          [0x18, 0x01],
          [0x10, 0x80],
          [0x10, ...new Array<number>(9).fill(0xff), 0x01],
          [0x10, ...new Array<number>(10).fill(0xff), 0x01],
        ),
      )
      .map(([s, tail]) => Uint8Array.from([0x08, ...varint(s), ...tail])),
    fc.uint8Array({ maxLength: 14 }),
  );

  it('decode as the reference decoder decodes them, errors included', () => {
    fc.assert(
      fc.property(timeBytes, (time) => {
        const b = withTime(time);
        const text = (o: unknown) => JSON.stringify(o, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
        assert.deepStrictEqual(
          outcome(() => text(decodeObject(b))),
          outcome(() => text(referenceDecodeTyped(b))),
        );
      }),
      { numRuns: 3000 },
    );
  });
});
