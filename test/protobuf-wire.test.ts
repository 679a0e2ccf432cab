// The shared protobuf wire layer (src/protobuf): varints against the protobuf encoding guide's
// examples and an independent bigint codec, the writer against protobufjs' Reader, and the two
// reading rule sets where gogo and protobuf-go part ways.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { fromHex, toHex, utf8 } from '../src/bytes.ts';
import { KeyValueDecodeError, decodeKeyValue } from '../src/etcd/mvcc/keyvalue.ts';
import { EtcdWireError, EtcdWireReader } from '../src/etcd/wire-reader.ts';
import { decodeStatusResponse } from '../src/kms/messages-v2.ts';
import { consumeFieldValue, consumeVarint, walkGoMessage } from '../src/protobuf/protobuf-go-reader.ts';
import { WIRE_BYTES, WIRE_VARINT, WireWriter } from '../src/protobuf/wire.ts';

const TWO_64 = 1n << 64n;

/** A plain bigint varint encoder, independent of the code under test. */
function refVarint(v: bigint): string {
  let x = v < 0n ? v + TWO_64 : v;
  const out: number[] = [];
  while (x >= 0x80n) {
    out.push(Number(x % 0x80n) | 0x80);
    x /= 0x80n;
  }
  out.push(Number(x));
  return toHex(Uint8Array.from(out));
}

const read = (hex: string) => new EtcdWireReader(fromHex(hex));
const failure = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof EtcdWireError, String(e));
    return e.message;
  }
  return 'no error';
};

describe('varints', () => {
  it('decode and encode the encoding guide examples', () => {
    const cases: [bigint, string][] = [
      [1n, '01'],
      [150n, '9601'],
      [300n, 'ac02'],
      [-1n, 'ffffffffffffffffff01'],
      [-2n, 'feffffffffffffffff01'],
      [1n << 63n, '80808080808080808001'],
    ];
    for (const [v, hex] of cases) {
      assert.equal(refVarint(v), hex);
      assert.equal(toHex(new WireWriter().varint(v).finish()), hex, `write ${v}`);
      assert.equal(read(hex).uint64('v'), v < 0n ? v + TWO_64 : v, `read ${hex}`);
      assert.equal(read(hex).int64('v'), Number(v >= 1n << 63n ? v - TWO_64 : v), `read ${hex} as int64`);
    }
  });

  it('round-trip every uint64 and every safe int64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: TWO_64 - 1n }), (v) => {
        const bytes = new WireWriter().varint(v).finish();
        assert.equal(toHex(bytes), refVarint(v));
        assert.equal(new EtcdWireReader(bytes).uint64('v'), v);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.maxSafeInteger(), (v) => {
        const bytes = new WireWriter().varint(v).finish();
        assert.equal(toHex(bytes), refVarint(BigInt(v)));
        assert.equal(new EtcdWireReader(bytes).int64('v'), v);
      }),
      { numRuns: 500 },
    );
  });

  it('gogo takes any tenth byte and drops its high bits; protobuf-go takes only 0 or 1', () => {
    assert.equal(read('ffffffffffffffffff7f').uint64('v'), TWO_64 - 1n);
    assert.equal(consumeVarint(fromHex('ffffffffffffffffff7f'), 0), null);
    assert.deepEqual(consumeVarint(fromHex('ffffffffffffffffff01'), 0), { lo: 0xffffffff, hi: 0xffffffff, n: 10 });
  });

  it('fail as gogo says: truncated, longer than ten bytes', () => {
    assert.equal(
      failure(() => read('ff').int64('v')),
      'unexpected EOF',
    );
    assert.equal(
      failure(() => read('ffffffffffffffffffff01').int64('v')),
      'proto: integer overflow',
    );
    assert.equal(consumeVarint(fromHex('ff'), 0), null);
    assert.equal(consumeVarint(fromHex('ffffffffffffffffffff01'), 0), null);
  });
});

describe('gogo reader', () => {
  it('splits a tag as int32(wire >> 3): a field number past 2^32 wraps', () => {
    // tag varint ((2^32 + 1) << 3) | 2 is field 1 for gogo, so this KeyValue has key "ab"
    const tag = refVarint(((TWO_64 >> 32n) + 1n) * 8n + 2n);
    assert.deepEqual(read(tag).tag(), { field: 1, wire: 2 });
    assert.deepEqual(decodeKeyValue(fromHex(`${tag}026162`)).key, utf8('ab'));
    // ((2^31) << 3) is field -2^31: illegal
    assert.throws(
      () => decodeKeyValue(fromHex(refVarint(1n << 34n))),
      (e: unknown) => e instanceof KeyValueDecodeError && e.message === 'proto: KeyValue: illegal tag -2147483648 (wire type 0)',
    );
  });

  it('refuses a length with bit 63 set, and one past the end', () => {
    assert.equal(
      failure(() => read('80808080808080808001').bytes('v')),
      'proto: negative length found during unmarshaling',
    );
    assert.equal(
      failure(() => read('0361').bytes('v')),
      'unexpected EOF',
    );
  });

  it('skips groups by counting them, as gogo does (end-group numbers are not matched)', () => {
    // start group 1, varint field 2, end group 3, then a varint field 4
    const r = read('0b 1001 1c 2005'.replaceAll(' ', ''));
    const { field, wire } = r.tag();
    r.skip(wire, field);
    assert.deepEqual(r.tag(), { field: 4, wire: WIRE_VARINT });
    assert.equal(
      failure(() => read('0c').skip(4, 1)),
      'proto: unexpected end of group',
    );
    assert.equal(
      failure(() => read('').skip(7, 1)),
      'proto: illegal wireType 7',
    );
  });

  it('never throws anything but its own error on any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const r = new EtcdWireReader(b);
        try {
          while (!r.done) {
            const { field, wire } = r.tag();
            if (wire === WIRE_BYTES) r.bytes('v');
            else r.skip(wire, field);
          }
        } catch (e) {
          assert.ok(e instanceof EtcdWireError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('protobuf-go reading', () => {
  it('matches end-group numbers, unlike gogo', () => {
    assert.equal(consumeFieldValue(1, 3, fromHex('1001 0c'.replaceAll(' ', '')), 0), 3);
    assert.equal(consumeFieldValue(1, 3, fromHex('1001 1c'.replaceAll(' ', '')), 0), -1);
  });

  it('walks any bytes to true or false, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        const ok = walkGoMessage(b, { bytes: () => true, varint: () => true });
        assert.equal(typeof ok, 'boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a leading byte order mark in a KMS plugin string, as Go keeps the bytes', () => {
    const reply = protobuf.Writer.create()
      .uint32((3 << 3) | 2)
      .bytes(utf8('\ufeffkey-1'))
      .finish();
    assert.equal(decodeStatusResponse(reply).keyID, '\ufeffkey-1');
  });
});

describe('writer', () => {
  it('writes fields protobufjs reads back, small and large payloads alike', () => {
    const field = fc.record({
      num: fc.integer({ min: 1, max: (1 << 29) - 1 }),
      value: fc.oneof(fc.maxSafeNat(), fc.uint8Array({ maxLength: 300 })),
    });
    fc.assert(
      fc.property(fc.array(field, { maxLength: 8 }), (fields) => {
        const w = new WireWriter();
        for (const f of fields) {
          if (typeof f.value === 'number') w.tag(f.num, WIRE_VARINT).varint(f.value);
          else w.bytes(f.num, f.value);
        }
        const r = protobuf.Reader.create(w.finish());
        for (const f of fields) {
          const tag = r.uint32();
          assert.equal(tag >>> 3, f.num);
          if (typeof f.value === 'number') assert.equal(Number(String(r.uint64())), f.value);
          else assert.deepEqual(new Uint8Array(r.bytes()), f.value);
        }
        assert.equal(r.pos, r.len);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves out proto3 zero values and writes map entries in key byte order with both key and value', () => {
    const out = new WireWriter()
      .optionalBytes(1, new Uint8Array(0))
      .optionalVarint(2, 0)
      .stringBytesMap(3, { b: new Uint8Array(0), a: Uint8Array.of(7) })
      .finish();
    // 1a 06 (0a 01 'a' 12 01 07), 1a 05 (0a 01 'b' 12 00)
    assert.equal(toHex(out), '1a060a0161120107' + '1a050a01621200');
  });
});
