// vectors/salvage/snapshot.db as its history says: every live key at its last put, under the
// provider it was written with, and the deleted keys absent. The salvage tests rely on this.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromUtf8 } from '../src/bytes.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { openSnapshot } from '../src/etcd/snapshot.ts';
import { createValueReader } from '../src/value/reader.ts';
import { lastOps, SALVAGE_CONFIG, SALVAGE_SNAPSHOT, salvageHistory } from './support/salvage-fixture.ts';

test('vectors/salvage: every live key at its last revision, written with the recorded provider', async () => {
  const history = salvageHistory();
  const last = lastOps(history);
  const config = parseEncryptionConfig(readFileSync(SALVAGE_CONFIG), SALVAGE_CONFIG);
  const reader = createValueReader(config, '/registry');
  const src = await openSnapshot(SALVAGE_SNAPSHOT);
  const seen = new Set<string>();
  try {
    for await (const item of src.scan(new Uint8Array(0))) {
      assert.ok(item.ok);
      const key = fromUtf8(item.entry.key);
      const want = last.get(key);
      assert.ok(want !== undefined && want.op === 'put', `${key} is live in the history`);
      assert.equal(item.entry.modRevision, want.revision, key);
      assert.equal(item.entry.value.length, want.bytes, key);
      const [report] = await reader.readMany([{ key: item.entry.key, value: item.entry.value }]);
      assert.equal(report!.provider, want.writtenWith, key);
      const labels = (report!.object?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
      assert.equal(labels?.['generation'], String(want.generation), key);
      seen.add(key);
    }
  } finally {
    await src.close();
  }
  const live = [...last.values()].filter((h) => h.op === 'put').map((h) => h.key);
  assert.deepEqual([...seen].sort(), live.sort());
  assert.equal(history.filter((h) => h.op === 'delete').length, 3);
});
