/**
 * The scan workers encode a chunk's lines straight into one UTF-8 buffer (scan-format.ts
 * Utf8Lines): the bytes must be TextEncoder's for the joined text, whatever the lines hold and
 * however often the buffer has to grow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Utf8Lines } from '../src/cli/scan-format.ts';

test('Utf8Lines gives the UTF-8 of the joined lines, growing from any starting size', () => {
  const line = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 50 }),
    fc.constant('é€😀\n'.repeat(200)),
  );
  fc.assert(
    fc.property(fc.array(line, { maxLength: 20 }), fc.integer({ min: 0, max: 5000 }), (lines, expected) => {
      const b = new Utf8Lines(expected);
      for (const l of lines) b.add(l);
      assert.deepEqual(Buffer.from(b.bytes()), Buffer.from(new TextEncoder().encode(lines.join(''))));
    }),
    { numRuns: 500 },
  );
});
