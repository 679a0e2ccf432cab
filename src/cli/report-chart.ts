/**
 * The verify report's chart: one horizontal bar per resource × provider/key, its values stacked as
 * current, stale and failed (plaintext instead of current for identity). Plain SVG, no script, so
 * the report reads the same in any browser or HTML viewer, printed too.
 */
import { escapeHtml } from './html.ts';

export interface ChartRow {
  resource: string;
  provider: string | null;
  keyName: string | null;
  values: number;
  stale: number;
  failed: number;
}

const WIDTH = 760;
const LABEL = 250;
const BAR = 380;
const ROW = 22;
const HEAD = 24;

export const SEGMENTS = [
  { name: 'current', color: '#2e7d32', label: 'written with the first (current) key' },
  { name: 'plaintext', color: '#9e9e9e', label: 'plaintext (identity)' },
  { name: 'stale', color: '#f2a900', label: 'stale: the apiserver would rewrite it' },
  { name: 'failed', color: '#c62828', label: 'failed to read' },
] as const;
const COLOR = Object.fromEntries(SEGMENTS.map((s) => [s.name, s.color])) as Record<(typeof SEGMENTS)[number]['name'], string>;

export function providerLabel(provider: string | null, keyName: string | null): string {
  if (provider === null) return '(unknown)';
  return keyName === null ? provider : `${provider} / ${keyName}`;
}

function bar(row: ChartRow, y: number, max: number): string {
  const fresh = row.values - row.stale - row.failed;
  const parts = [
    { name: row.provider === 'identity' ? 'plaintext' : 'current', n: fresh },
    { name: 'stale', n: row.stale },
    { name: 'failed', n: row.failed },
  ] as const;
  let x = LABEL;
  let rects = '';
  for (const p of parts) {
    if (p.n <= 0) continue;
    // A segment of one value among 100,000 stays visible.
    const w = Math.max(2, (p.n / max) * BAR);
    rects += `<rect x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${ROW - 8}" fill="${COLOR[p.name]}"><title>${p.n} ${p.name}</title></rect>`;
    x += w;
  }
  const label = escapeHtml(providerLabel(row.provider, row.keyName));
  const counts = `${row.values} ${row.values === 1 ? 'value' : 'values'}${row.stale > 0 ? `, ${row.stale} stale` : ''}${row.failed > 0 ? `, ${row.failed} failed` : ''}`;
  return (
    `<text x="16" y="${y + ROW - 7}">${label}</text>${rects}` +
    `<text x="${(x + 6).toFixed(1)}" y="${y + ROW - 7}" fill="#444">${counts}</text>`
  );
}

/** Rows grouped by resource in the given order; an empty scan draws a one-line note instead. */
export function chartSvg(rows: readonly ChartRow[]): string {
  const max = Math.max(1, ...rows.map((r) => r.values));
  let y = 0;
  let body = '';
  let resource: string | undefined;
  for (const row of rows) {
    if (row.resource !== resource) {
      resource = row.resource;
      body += `<text x="0" y="${y + HEAD - 6}" font-weight="bold">${escapeHtml(resource)}</text>`;
      y += HEAD;
    }
    body += bar(row, y, max);
    y += ROW;
  }
  if (rows.length === 0) {
    body = '<text x="0" y="16">no values under the prefix</text>';
    y = 24;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="values per resource by provider and key" ` +
    `width="${WIDTH}" height="${y + 4}" viewBox="0 0 ${WIDTH} ${y + 4}" font-family="sans-serif" font-size="13">` +
    `${body}</svg>`
  );
}
