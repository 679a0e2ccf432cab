/** The summary `verify` ends with, and that the web page shows for a snapshot: counted from the records' marks. */
import { shown } from './printable.ts';
import { cells, DEFAULT_COLUMNS, type Columns, type VerifyMark } from './scan-format.ts';

export interface VerifySummary {
  keys: number;
  ok: number;
  plaintext: number;
  failed: number;
  stale: number;
  byProvider: { provider: string | null; keyName: string | null; values: number; stale: number; failed: number }[];
}

export function newSummary(): VerifySummary {
  return { keys: 0, ok: 0, plaintext: 0, failed: 0, stale: 0, byProvider: [] };
}

export function summarize(s: VerifySummary, r: VerifyMark): void {
  s.keys++;
  if (r.status === 'ok') s.ok++;
  else if (r.status === 'plaintext') s.plaintext++;
  else s.failed++;
  if (r.stale === true) s.stale++;
  let row = s.byProvider.find((b) => b.provider === r.provider && b.keyName === r.keyName);
  if (!row) s.byProvider.push((row = { provider: r.provider, keyName: r.keyName, values: 0, stale: 0, failed: 0 }));
  row.values++;
  if (r.stale === true) row.stale++;
  if (r.status === 'error') row.failed++;
}

/** The table output's summary lines (after its records and a blank line). */
export function summaryLines(s: VerifySummary, columns: Columns = DEFAULT_COLUMNS): string[] {
  return [
    `${s.keys} keys: ${s.ok} encrypted, ${s.plaintext} plaintext, ${s.failed} failed; ${s.stale} stale`,
    cells(['PROVIDER', 'KEY-NAME', 'VALUES', 'STALE'], columns) + ' FAILED',
    ...s.byProvider.map(
      (b) =>
        cells([shown(b.provider ?? '(unknown)'), shown(b.keyName ?? '-'), String(b.values), String(b.stale)], columns) + ` ${b.failed}`,
    ),
  ];
}
