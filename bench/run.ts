/**
 * `npm run bench`: the Go baseline, the micro-benchmarks and the bulk runs in one process run,
 * printed as one table and written to bench/results.json. Options:
 *   --quick        fewer values and shorter micro runs, to check the harness itself
 *   --only=a,b     suites to run: go, bulk, snapshot, snapshot-2gib, rewrite, decode, micro
 */
import { availableParallelism, cpus } from 'node:os';
import { runBulk } from './bulk.ts';
import { runGoBaseline } from './go-baseline.ts';
import { BULK_SIZE, BULK_VALUES, SIZES } from './inputs.ts';
import { runMicro } from './micro.ts';
import { printTable, writeResults, type Row } from './results.ts';
import { runSnapshot } from './snapshot.ts';
import { runSnapshot2GiB } from './snapshot-2gib.ts';
import { runRewrite } from './rewrite.ts';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const values = quick ? 10_000 : BULK_VALUES;

// Suites run in this order. The snapshot suite builds its etcd snapshot once (a minute or two,
// cached under bench/.work/) and then times the CLI over it.
const suites: { name: string; run: () => Promise<Row[]> | Row[] }[] = [
  { name: 'go', run: () => runGoBaseline(values, [BULK_SIZE]) },
  { name: 'bulk', run: () => runBulk(values, BULK_SIZE, { reps: quick ? 1 : 3, nobleValues: 10_000 }) },
  { name: 'snapshot', run: () => runSnapshot({ secrets: values, size: BULK_SIZE, reps: quick ? 1 : 3 }) },
  { name: 'snapshot-2gib', run: () => runSnapshot2GiB() },
  { name: 'rewrite', run: () => runRewrite({ secrets: values, size: BULK_SIZE, reps: quick ? 1 : 3 }) },
  { name: 'decode', run: async () => (await import('./decode.ts')).runDecode(values, BULK_SIZE, quick ? 1 : 3) },
  { name: 'micro', run: () => runMicro(SIZES, quick ? 0.05 : 0.25) },
];

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`);
const rows: Row[] = [];
for (const s of suites) {
  if (only && !only.includes(s.name)) continue;
  const t = performance.now();
  rows.push(...(await s.run()));
  console.log(`${s.name}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
printTable(rows);
const out = new URL('./results.json', import.meta.url);
writeResults(out.pathname, rows);
console.log(`wrote ${out.pathname}`);
