// The hand-written mvccpb/etcdserverpb codecs against protobufjs loading proto/ (an independent
// implementation of the same schema), plus the revision-key shapes of docs/FORMATS.md#revisions.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import fc from 'fast-check';
import type protobuf from 'protobufjs';
import { KeyValueDecodeError, decodeKeyValue, encodeKeyValue } from '../src/etcd/mvcc/keyvalue.ts';
import { parseRevisionKey } from '../src/etcd/mvcc/revision.ts';
import { decodeRangeResponse, encodeRangeRequest, prefixRangeEnd } from '../src/etcd/rpc-codec.ts';
import { loadEtcdProtos } from './support/etcd-data.ts';

let root: protobuf.Root;
before(async () => {
  root = await loadEtcdProtos();
});

// Revisions are non-negative; lease IDs are full int64s but exact only below 2^53 here.
const int64 = fc.maxSafeNat();
const kvArb = fc.record({
  key: fc.uint8Array({ maxLength: 64 }),
  createRevision: int64,
  modRevision: int64,
  version: int64,
  value: fc.uint8Array({ maxLength: 300 }),
  lease: int64,
});

describe('mvccpb.KeyValue decoding', () => {
  test('decodes whatever protobufjs encodes from proto/mvcc.proto', () => {
    const KeyValue = root.lookupType('mvccpb.KeyValue');
    fc.assert(
      fc.property(kvArb, (kv) => {
        const bytes = KeyValue.encode(KeyValue.fromObject(kv)).finish();
        const got = decodeKeyValue(bytes);
        const leaseId = kv.lease === 0 ? {} : { leaseId: BigInt(kv.lease) };
        assert.deepEqual(
          { ...got, key: [...got.key], value: [...got.value] },
          { ...kv, key: [...kv.key], value: [...kv.value], ...leaseId },
        );
      }),
      { numRuns: 200 },
    );
  });

  test('encodeKeyValue writes what protobufjs reads, lease IDs above 2^53 exactly, and decodes back to itself', () => {
    const KeyValue = root.lookupType('mvccpb.KeyValue');
    const leaseArb = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: (1n << 63n) - 1n }));
    fc.assert(
      fc.property(kvArb, leaseArb, (kv, lease) => {
        const ours = { ...kv, lease: Number(lease), ...(lease !== 0n && { leaseId: lease }) };
        const bytes = encodeKeyValue(ours);
        const theirs = KeyValue.toObject(KeyValue.decode(bytes), { longs: String, defaults: true });
        assert.equal(theirs['lease'], String(lease));
        assert.equal(theirs['modRevision'], String(kv.modRevision));
        assert.deepEqual([...(theirs['value'] as Uint8Array)], [...kv.value]);
        assert.deepEqual([...bytes], [...KeyValue.encode(KeyValue.fromObject({ ...kv, lease: String(lease) })).finish()]);
        assert.equal(decodeKeyValue(bytes).leaseId, lease === 0n ? undefined : lease);
      }),
      { numRuns: 200 },
    );
  });

  test('negative int64 (10-byte varint) reads as the negative number', () => {
    // field 2 (create_revision) = -1: 0x10 then ten bytes ff..ff 01
    const bytes = Uint8Array.from([0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.equal(decodeKeyValue(bytes).createRevision, -1);
  });

  test('gogo error texts; the key is kept when it came before the damage', () => {
    const wrongType = Uint8Array.from([0x0a, 0x01, 0x61, 0x17]); // key "a", then field 2 with wire type 7
    assert.throws(
      () => decodeKeyValue(wrongType),
      (e: unknown) =>
        e instanceof KeyValueDecodeError && e.message === 'proto: wrong wireType = 7 for field CreateRevision' && e.key?.[0] === 0x61,
    );
    const truncated = Uint8Array.from([0x0a, 0x05, 0x61]);
    assert.throws(
      () => decodeKeyValue(truncated),
      (e: unknown) => e instanceof KeyValueDecodeError && e.message === 'unexpected EOF' && e.key === undefined,
    );
    const endGroup = Uint8Array.from([0x0c]);
    assert.throws(() => decodeKeyValue(endGroup), /wiretype end group for non-group/);
    const overflow = new Uint8Array(11).fill(0xff);
    assert.throws(() => decodeKeyValue(overflow), /proto: integer overflow/);
  });

  test('unknown fields, groups included, are skipped', () => {
    // field 9 group start, field 10 varint inside, field 9 group end, then key "k"
    const bytes = Uint8Array.from([0x4b, 0x50, 0x01, 0x4c, 0x0a, 0x01, 0x6b]);
    assert.deepEqual([...decodeKeyValue(bytes).key], [0x6b]);
  });

  test('any bytes: a KeyValue or a KeyValueDecodeError, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        try {
          decodeKeyValue(b);
        } catch (e) {
          assert.ok(e instanceof KeyValueDecodeError, String(e));
        }
      }),
      { numRuns: 2000 },
    );
    // deep group nesting must not overflow the stack
    const deep = new Uint8Array(200000).fill(0x4b);
    assert.throws(() => decodeKeyValue(deep), KeyValueDecodeError);
  });
});

describe('revision keys (docs/FORMATS.md#revisions)', () => {
  const rev = (main: number, sub: number, t = false): Uint8Array => {
    const b = new Uint8Array(t ? 18 : 17);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(main));
    b[8] = 0x5f;
    dv.setBigUint64(9, BigInt(sub));
    if (t) b[17] = 0x74;
    return b;
  };

  test('17-byte revision and 18-byte tombstone', () => {
    assert.deepEqual(parseRevisionKey(rev(123456789012, 7)), { main: 123456789012, sub: 7, tombstone: false });
    assert.deepEqual(parseRevisionKey(rev(5, 0, true)), { main: 5, sub: 0, tombstone: true });
  });

  test('every other shape is rejected', () => {
    assert.equal(parseRevisionKey(new Uint8Array(16)), null);
    assert.equal(parseRevisionKey(new Uint8Array(19)), null);
    const noUnderscore = rev(1, 0);
    noUnderscore[8] = 0x2d;
    assert.equal(parseRevisionKey(noUnderscore), null);
    const badMark = rev(1, 0, true);
    badMark[17] = 0x78;
    assert.equal(parseRevisionKey(badMark), null);
  });
});

describe('etcdserverpb Range codec', () => {
  test('RangeRequest encoding reads back through protobufjs', () => {
    const RangeRequest = root.lookupType('etcdserverpb.RangeRequest');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.nat(),
        fc.maxSafeNat(),
        fc.boolean(),
        (key, rangeEnd, limit, revision, countOnly) => {
          const msg = RangeRequest.toObject(RangeRequest.decode(encodeRangeRequest({ key, rangeEnd, limit, revision, countOnly })), {
            longs: Number,
            defaults: true,
          });
          assert.deepEqual([...(msg['key'] as Uint8Array)], [...key]);
          assert.deepEqual([...(msg['rangeEnd'] as Uint8Array)], [...rangeEnd]);
          assert.equal(msg['limit'], limit);
          assert.equal(msg['revision'], revision);
          assert.equal(msg['countOnly'], countOnly);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('RangeResponse from protobufjs decodes', () => {
    const RangeResponse = root.lookupType('etcdserverpb.RangeResponse');
    const KeyValue = root.lookupType('mvccpb.KeyValue');
    fc.assert(
      fc.property(fc.array(kvArb, { maxLength: 5 }), fc.maxSafeNat(), fc.boolean(), fc.nat(), (kvs, revision, more, count) => {
        const bytes = RangeResponse.encode(
          RangeResponse.fromObject({ header: { clusterId: 1, memberId: 2, revision, raftTerm: 3 }, kvs, more, count }),
        ).finish();
        const got = decodeRangeResponse(bytes);
        assert.equal(got.revision, revision);
        assert.equal(got.more, more);
        assert.equal(got.count, count);
        assert.deepEqual(
          got.kvs.map((b) => [...b]),
          kvs.map((kv) => [...KeyValue.encode(KeyValue.fromObject(kv)).finish()]),
        );
      }),
      { numRuns: 100 },
    );
  });

  test("prefix range end is etcd's GetPrefixRangeEnd", () => {
    const end = (b: number[]): number[] => [...prefixRangeEnd(Uint8Array.from(b))];
    assert.deepEqual(end([0x61, 0x62]), [0x61, 0x63]);
    assert.deepEqual(end([0x61, 0xff]), [0x62]);
    assert.deepEqual(end([0xff, 0xff]), [0]);
    assert.deepEqual(end([]), [0]);
  });
});
