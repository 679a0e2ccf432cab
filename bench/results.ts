/** The row every bench run produces, the printed table, and bench/results.json. */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * A full collection before each timed run, so a run does not pay for the garbage of the one
 * before it (the Go side calls runtime.GC() likewise).
 */
export function collectGarbage(): void {
  gc();
}

export interface Row {
  name: string;
  provider: string;
  op: string;
  backend: string;
  values: number;
  bytes: number;
  ms: number;
  /** Peak resident set of the process that measured the row, so far. */
  rssMB: number;
}

export function peakRssMB(): number {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

/** Bulk rows get their speed relative to the Go row with the same provider, op and size. */
export function printTable(rows: readonly Row[]): void {
  const go = new Map(rows.filter((r) => r.backend.startsWith('go-')).map((r) => [`${r.provider}/${r.op}/${r.values}/${r.bytes}`, r]));
  const lines = [['name', 'backend', 'values', 'ms', 'MB/s', 'vs Go', 'rss MB']];
  for (const r of rows) {
    const g = go.get(`${r.provider}/${r.op}/${r.values}/${r.bytes}`);
    lines.push([
      r.name,
      r.backend,
      String(r.values),
      r.ms < 1 ? r.ms.toFixed(4) : r.ms.toFixed(1),
      ((r.bytes / r.ms) * 1e-3).toFixed(0),
      g && g !== r ? `${(g.ms / r.ms).toFixed(2)}×` : '',
      r.rssMB.toFixed(0),
    ]);
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  for (const l of lines) console.log(l.map((x, c) => (c === 0 || c === 1 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  '));
}

export function writeResults(path: string, rows: readonly Row[]): void {
  writeFileSync(path, JSON.stringify(rows, null, 1) + '\n');
}
