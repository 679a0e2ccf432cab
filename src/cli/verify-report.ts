/**
 * `verify --report FILE.html`: the evidence an auditor asks for ("is our data in etcd really
 * encrypted, and with which key?") as one self-contained HTML file: inline CSS and SVG, no script,
 * no external asset, a Content-Security-Policy that forbids loading anything. The totals are the
 * run's summary, the rows and lists come from the same records `-o ndjson` prints.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64, utf8 } from '../bytes.ts';
import { chartSvg, providerLabel, SEGMENTS, type ChartRow } from './report-chart.ts';
import { escapeHtml } from './html.ts';
import type { VerifyMark } from './scan-format.ts';
import type { VerifySummary } from './verify-summary.ts';

export type ReportSource =
  | { kind: 'snapshot'; path: string; sha256: string; revision: number }
  | { kind: 'endpoints'; endpoints: string[]; revision: number };

export interface ReportMeta {
  source: ReportSource;
  config: { path: string; sha256: string };
  etcdPrefix: string;
  date: Date;
}

interface Listed {
  key: string;
  provider: string | null;
  keyName: string | null;
  error: string | null;
}

/** A list this long or shorter is shown open; longer ones start collapsed. */
const OPEN_LIST = 25;

const CSS = `
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:980px;color:#1d1d1f;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
table{border-collapse:collapse;font-size:13px}th,td{text-align:left;padding:3px 10px 3px 0;vertical-align:top}
td.num,th.num{text-align:right}tbody tr{border-top:1px solid #e3e3e3}
dl{display:grid;grid-template-columns:max-content 1fr;gap:3px 14px;font-size:14px;margin:12px 0}dt{color:#555}dd{margin:0}
code,.key{font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
.totals{font-size:15px;margin:14px 0}.bad{color:#c62828;font-weight:bold}.good{color:#2e7d32;font-weight:bold}
.legend span{display:inline-block;margin-right:14px;font-size:13px}.legend svg{vertical-align:-1px}
summary{cursor:pointer;font-weight:bold}details{margin:8px 0}
`.trim();

export class VerifyReportCollector {
  private readonly rows = new Map<string, ChartRow>();
  readonly failures: Listed[] = [];
  readonly stale: Listed[] = [];

  add(mark: VerifyMark): void {
    const resource = mark.resource ?? '(unplaceable key)';
    const id = JSON.stringify([resource, mark.provider, mark.keyName]);
    let row = this.rows.get(id);
    if (row === undefined) {
      row = { resource, provider: mark.provider, keyName: mark.keyName, values: 0, stale: 0, failed: 0 };
      this.rows.set(id, row);
    }
    row.values++;
    const listed = { key: mark.key ?? '', provider: mark.provider, keyName: mark.keyName, error: mark.error ?? null };
    if (mark.stale === true) {
      row.stale++;
      this.stale.push(listed);
    }
    if (mark.status === 'error') {
      row.failed++;
      this.failures.push(listed);
    }
  }

  /** Resources in name order, provider/key rows by value count (most first). */
  chartRows(): ChartRow[] {
    return [...this.rows.values()].sort((a, b) => (a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : b.values - a.values));
  }

  html(summary: VerifySummary, meta: ReportMeta): string {
    const rows = this.chartRows();
    const verdict =
      summary.failed > 0
        ? `<span class="bad">${summary.failed} values failed to read</span>`
        : summary.plaintext > 0
          ? `<span class="bad">${summary.plaintext} values are stored in plaintext</span>`
          : `<span class="good">every value is encrypted and reads back</span>`;
    const body = [
      `<h1>k8s-enc verify report</h1>`,
      `<dl>${sourceRows(meta)
        .map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`)
        .join('')}</dl>`,
      `<p class="totals" data-totals data-keys="${summary.keys}" data-ok="${summary.ok}" data-plaintext="${summary.plaintext}" data-failed="${summary.failed}" data-stale="${summary.stale}">` +
        `<b>${summary.keys}</b> keys: <b>${summary.ok}</b> encrypted, <b>${summary.plaintext}</b> plaintext, <b>${summary.failed}</b> failed; <b>${summary.stale}</b> stale — ${verdict}</p>`,
      `<h2>Values per resource by provider and key</h2>`,
      `<p class="legend">${SEGMENTS.map((s) => `<span><svg width="11" height="11"><rect width="11" height="11" fill="${s.color}"/></svg> ${escapeHtml(s.label)}</span>`).join('')}</p>`,
      chartSvg(rows),
      table(rows),
      list('Failed values', this.failures, true),
      list('Stale values', this.stale, false),
    ];
    return page(body.join('\n'));
  }
}

function sourceRows(meta: ReportMeta): [string, string][] {
  const s = meta.source;
  const source: [string, string][] =
    s.kind === 'snapshot'
      ? [
          ['Snapshot', `<code>${escapeHtml(s.path)}</code>`],
          ['Snapshot sha256', `<code>${s.sha256}</code>`],
        ]
      : [['etcd endpoints', s.endpoints.map((e) => `<code>${escapeHtml(e)}</code>`).join(', ')]];
  return [
    ...source,
    ['Revision', String(s.revision)],
    ['etcd prefix', `<code>${escapeHtml(meta.etcdPrefix)}</code>`],
    ['Encryption config', `<code>${escapeHtml(meta.config.path)}</code>`],
    ['Config sha256', `<code>${meta.config.sha256}</code>`],
    ['Date', meta.date.toISOString()],
  ];
}

function table(rows: readonly ChartRow[]): string {
  const head =
    '<tr><th>resource</th><th>provider / key</th><th class="num">values</th><th class="num">stale</th><th class="num">failed</th></tr>';
  const body = rows
    .map((r) => {
      const data = `data-resource="${escapeHtml(r.resource)}" data-provider="${escapeHtml(r.provider ?? '')}" data-key-name="${escapeHtml(r.keyName ?? '')}" data-values="${r.values}" data-stale="${r.stale}" data-failed="${r.failed}"`;
      return `<tr data-row ${data}><td>${escapeHtml(r.resource)}</td><td>${escapeHtml(providerLabel(r.provider, r.keyName))}</td><td class="num">${r.values}</td><td class="num">${r.stale}</td><td class="num">${r.failed}</td></tr>`;
    })
    .join('');
  return `<table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function list(title: string, items: readonly Listed[], withError: boolean): string {
  if (items.length === 0) return `<h2>${title}: none</h2>`;
  const rows = items
    .map((i) => {
      const error = withError ? `<td>${escapeHtml(i.error ?? '')}</td>` : '';
      return `<tr><td class="key">${escapeHtml(i.key)}</td><td>${escapeHtml(providerLabel(i.provider, i.keyName))}</td>${error}</tr>`;
    })
    .join('');
  const head = `<tr><th>etcd key</th><th>written with</th>${withError ? '<th>error</th>' : ''}</tr>`;
  const open = items.length <= OPEN_LIST ? ' open' : '';
  return `<details${open} data-list="${title}"><summary>${title} (${items.length})</summary><table><thead>${head}</thead><tbody>${rows}</tbody></table></details>`;
}

function page(body: string): string {
  // Only this stylesheet may apply; nothing may load, run or be submitted.
  const styleHash = toBase64(sha256(utf8(CSS)));
  const csp = `default-src 'none'; style-src 'sha256-${styleHash}'; img-src 'none'; form-action 'none'; base-uri 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>k8s-enc verify report</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
