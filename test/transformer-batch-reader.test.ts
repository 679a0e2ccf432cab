// The CLI's batch read (readMany, what verify and get use) against one read per value.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../src/bytes.ts';
import { inChunks } from '../src/cli/chunks.ts';
import { createValueReader, decodeReport, type ValueToRead } from '../src/value/reader.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';

const CONFIG = parseEncryptionConfig(readFileSync('vectors/sample/encryption-config.yaml'));

/** The sample snapshot's values (a real etcd's), as the scans see them. */
async function sampleValues(): Promise<ValueToRead[]> {
  const source = await openSnapshot('vectors/sample/snapshot.db');
  const out: ValueToRead[] = [];
  try {
    for await (const item of source.scan(utf8('/registry/'))) if (item.ok) out.push({ key: item.entry.key, value: item.entry.value });
  } finally {
    await source.close();
  }
  return out;
}

const SAMPLE = await sampleValues();

test('the sample snapshot holds encrypted, stale and plaintext values of two resources', () => {
  const written = JSON.parse(readFileSync('vectors/sample/expected.json', 'utf8')) as {
    key: string;
    resource: string;
    writtenWith: string;
  }[];
  assert.deepEqual(
    SAMPLE.map((v) => (typeof v.key === 'string' ? v.key : new TextDecoder().decode(v.key))),
    written.map((w) => w.key),
  );
  assert.deepEqual(new Set(written.map((w) => w.writtenWith)), new Set(['key1', 'key2', 'plaintext']));
  assert.deepEqual(new Set(written.map((w) => w.resource)), new Set(['secrets', 'configmaps']));
});

test('fast-check: readMany gives the reports read gives, value by value, whatever the mix', async () => {
  const valueArb = fc.record({
    pick: fc.nat(),
    // Values moved to another key (aescbc ignores it, the resource changes), damaged, or cut.
    keyFrom: fc.option(fc.nat(), { nil: undefined }),
    flip: fc.option(fc.nat(), { nil: undefined }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    resource: fc.option(fc.constantFrom('secrets', 'configmaps', 'pods'), { nil: undefined }),
  });
  await fc.assert(
    fc.asyncProperty(fc.array(valueArb, { maxLength: 60 }), fc.boolean(), async (picks, decode) => {
      const values = picks.map((p): ValueToRead => {
        const base = SAMPLE[p.pick % SAMPLE.length]!;
        let value = base.value.slice();
        if (p.flip !== undefined) value[p.flip % value.length]! ^= 0x10;
        if (p.cut !== undefined) value = value.subarray(0, p.cut % (value.length + 1));
        const key = p.keyFrom === undefined ? base.key : SAMPLE[p.keyFrom % SAMPLE.length]!.key;
        return { key, value, ...(p.resource !== undefined && { resource: p.resource }) };
      });
      const reader = createValueReader(CONFIG, '/registry');
      const many = await reader.readMany(values, { decode });
      const single = [];
      for (const v of values) single.push(await createValueReader(CONFIG, '/registry').read(v.key, v.value, v.resource, { decode }));
      assert.deepEqual(many, single);
      // What the scans do: decrypt the chunk undecoded, then decode value by value.
      if (!decode) {
        const decoded = [];
        for (const v of values) decoded.push(await createValueReader(CONFIG, '/registry').read(v.key, v.value, v.resource));
        assert.deepEqual(many.map(decodeReport), decoded);
      }
    }),
    { numRuns: 40 },
  );
});

// Only key1 is the config's first provider and key: key2 and plaintext (identity second) read as stale.
test('readMany over the sample gives the snapshot expectations: ok, stale on key2 and plaintext', async () => {
  const expected = JSON.parse(readFileSync('vectors/sample/expected.json', 'utf8')) as { key: string; writtenWith: string }[];
  const reports = await createValueReader(CONFIG, '/registry').readMany(SAMPLE);
  assert.deepEqual(
    reports.map((r) => [r.key, r.status, r.stale]),
    expected.map((e) => [e.key, e.writtenWith === 'plaintext' ? 'plaintext' : 'ok', e.writtenWith !== 'key1']),
  );
});

test('inChunks keeps order and splits at the size', async () => {
  async function* count(n: number) {
    for (let i = 0; i < n; i++) yield i;
  }
  const chunks: number[][] = [];
  for await (const c of inChunks(count(1030), 512)) chunks.push(c);
  assert.deepEqual(
    chunks.map((c) => c.length),
    [512, 512, 6],
  );
  assert.deepEqual(chunks.flat(), [...Array(1030).keys()]);
  for await (const _ of inChunks(count(0), 512)) assert.fail('no chunk for no items');
});
