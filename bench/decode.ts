/**
 * Decoding and printing objects, the scans' work after decryption: `decodeObject` on realistic
 * Secrets (the snapshot suite's TLS Secrets of ~2 KiB, and the same with a managedFields entry as
 * Helm leaves one), then each printed as `get -o ndjson` prints it (objectLine) and as `-o json`.
 * The decoder from before the speed work (test/support/storage-decode-reference.ts) runs on the
 * same inputs in the same process, so before and after share the machine's mood. Best of `reps`;
 * every output is checked.
 */
import assert from 'node:assert/strict';
import { objectLine } from '../src/cli/object-output.ts';
import { decodeObject } from '../src/storage/decode.ts';
import { encodeObject } from '../src/storage/encode.ts';
import { toJson } from '../src/storage/output.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { referenceDecodeTyped } from '../test/support/storage-decode-reference.ts';
import { collectGarbage, peakRssMB, type Row } from './results.ts';
import { secret } from './snapshot-build.ts';

/** What `kubectl create secret tls` followed by a Helm upgrade leaves in managedFields. */
function withManagedFields(obj: KubeObject, i: number): KubeObject {
  obj.metadata.managedFields = [
    {
      manager: 'helm',
      operation: 'Update',
      apiVersion: 'v1',
      time: `2024-05-0${1 + (i % 9)}T10:00:00Z`,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:data': { '.': {}, 'f:ca.crt': {}, 'f:tls.crt': {}, 'f:tls.key': {} },
        'f:metadata': {
          'f:annotations': { '.': {}, 'f:meta.helm.sh/release-name': {}, 'f:meta.helm.sh/release-namespace': {} },
          'f:labels': { '.': {}, 'f:app.kubernetes.io/managed-by': {}, 'f:app.kubernetes.io/name': {}, 'f:tier': {} },
        },
        'f:type': {},
      },
    },
  ];
  return obj;
}

const DECODERS = [
  ['reference', referenceDecodeTyped],
  ['current', decodeObject],
] as const;

const PRINTS = [
  ['decode', () => 0],
  ['decode+ndjson', (o: KubeObject) => objectLine(o, 'ndjson').length],
  ['decode+json', (o: KubeObject) => toJson(o).length],
] as const;

/** -o json's sorted, indented printer is slow enough that a tenth of the inputs tells as much. */
const JSON_SHARE = 10;

export function runDecode(count: number, size: number, reps: number): Row[] {
  const rows: Row[] = [];
  for (const [shape, make] of [
    ['tls', (i: number) => secret(i, size)],
    ['tls+managedFields', (i: number) => withManagedFields(secret(i, size), i)],
  ] as const) {
    const inputs = Array.from({ length: count }, (_, i) => encodeObject(make(i)));
    const bytes = inputs.reduce((n, b) => n + b.length, 0);
    for (let i = 0; i < count; i += Math.ceil(count / 50)) {
      assert.equal(JSON.stringify(decodeObject(inputs[i]!)), JSON.stringify(referenceDecodeTyped(inputs[i]!)), `input ${i}`);
    }
    for (const [op, print] of PRINTS) {
      for (const [backend, decode] of DECODERS) {
        let best = Infinity;
        const some = op === 'decode+json' ? inputs.slice(0, Math.ceil(count / JSON_SHARE)) : inputs;
        for (let r = 0; r < reps; r++) {
          collectGarbage();
          const t = performance.now();
          let chars = 0;
          for (const b of some) chars += print(decode(b)) + 1;
          best = Math.min(best, performance.now() - t);
          assert.ok(chars >= some.length);
        }
        const someBytes = some === inputs ? bytes : some.reduce((n, b) => n + b.length, 0);
        rows.push({
          name: `${op} ${shape}`,
          provider: 'Secret',
          op,
          backend,
          values: some.length,
          bytes: someBytes,
          ms: best,
          rssMB: peakRssMB(),
        });
        console.log(`${op} ${shape} ${backend}: ${best.toFixed(0)} ms, ${((best * 1000) / some.length).toFixed(2)} µs/object`);
      }
    }
  }
  return rows;
}
