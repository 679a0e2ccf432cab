/**
 * The page: one value decrypted here on the main thread, a whole snapshot handed to the worker.
 * Everything runs locally; the page's Content-Security-Policy (web/index.html) forbids any
 * request. Untrusted text (keys, objects, errors) only ever goes in through textContent.
 */
import { fromUtf8, utf8 } from '../../src/bytes.ts';
import { chartSvg } from '../../src/cli/report-chart.ts';
import type { FromWorker, ObjectView, PageRecord, ToWorker } from './messages.ts';
import { decryptOne, type OneValue } from './one-value.ts';

/** Objects listed at once: the search narrows the rest. */
const LIST_LIMIT = 200;

const $ = <T extends HTMLElement>(testid: string): T => document.querySelector<T>(`[data-testid="${testid}"]`)!;

function el(tag: string, text?: string, cls?: string): HTMLElement {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls !== undefined) e.className = cls;
  return e;
}

function showError(message: string | null): void {
  const box = $('error');
  box.textContent = message ?? '';
  box.hidden = message === null;
}

function errorText(e: unknown): string {
  const k = e as { describe?: () => string; message?: string };
  return typeof k.describe === 'function' ? k.describe() : `internal error: ${k.message ?? String(e)}`;
}

async function readFileBytes(input: HTMLInputElement): Promise<Uint8Array | null> {
  const f = input.files?.[0];
  return f === undefined ? null : new Uint8Array(await f.arrayBuffer());
}

/** "name" and value lines, then a `<pre>` of YAML and, for Secrets, a button that shows `data` decoded. */
function showObject(title: string, facts: [string, string][], yaml: string | undefined, secretData: [string, string][] | undefined): void {
  const out = $('output');
  out.replaceChildren(el('h2', title));
  const dl = el('dl');
  for (const [k, v] of facts) dl.append(el('dt', k), el('dd', v));
  out.append(dl);
  if (yaml !== undefined) out.append(el('pre', yaml, 'yaml'));
  if (secretData !== undefined && secretData.length > 0) {
    const button = el('button', 'Show Secret data decoded') as HTMLButtonElement;
    button.dataset.testid = 'decode-data';
    const table = el('table', undefined, 'decoded');
    table.hidden = true;
    for (const [k, v] of secretData) {
      const tr = el('tr');
      tr.append(el('th', k), el('td', v));
      table.append(tr);
    }
    button.onclick = () => {
      table.hidden = !table.hidden;
      button.textContent = table.hidden ? 'Show Secret data decoded' : 'Hide decoded Secret data';
    };
    out.append(button, table);
  }
  out.hidden = false;
}

function showOne(r: OneValue): void {
  if (r.kind === 'kms') {
    showObject('KMS-encrypted value', r.facts, undefined, undefined);
    $('output').append(el('p', r.explanation, 'note'));
    return;
  }
  showObject(r.key, r.facts, r.yaml, r.secretData);
}

export function startPage(): void {
  const config = $<HTMLTextAreaElement>('config');
  const prefix = $<HTMLInputElement>('etcd-prefix');
  let valueFile: Uint8Array | null = null;

  $<HTMLInputElement>('config-file').onchange = async (e) => {
    const bytes = await readFileBytes(e.target as HTMLInputElement);
    if (bytes !== null) config.value = fromUtf8(bytes);
  };
  const valueText = $<HTMLTextAreaElement>('value');
  $<HTMLInputElement>('value-file').onchange = async (e) => {
    valueFile = await readFileBytes(e.target as HTMLInputElement);
    // Raw etcdctl output is binary: it stays bytes, the box only says where it came from.
    valueText.value = '';
    valueText.placeholder = valueFile === null ? '' : `(${valueFile.length} bytes from ${(e.target as HTMLInputElement).files![0]!.name})`;
  };
  valueText.oninput = () => (valueFile = null);

  $<HTMLButtonElement>('decrypt').onclick = async () => {
    showError(null);
    $('output').hidden = true;
    try {
      const value = valueFile ?? utf8(valueText.value);
      showOne(await decryptOne(config.value, value, $<HTMLInputElement>('etcd-key').value.trim(), prefix.value));
    } catch (e) {
      showError(errorText(e));
    }
  };

  startSnapshotPanel(config, prefix);
}

function startSnapshotPanel(config: HTMLTextAreaElement, prefix: HTMLInputElement): void {
  const self = document.currentScript as HTMLScriptElement | null;
  const source = self?.textContent ?? '';
  let worker: Worker | null = null;
  let records: PageRecord[] = [];
  const progress = $('progress');

  const ensureWorker = (): Worker => {
    if (worker !== null) return worker;
    worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    worker.onmessage = (e: MessageEvent<FromWorker>) => onWorker(e.data);
    worker.onerror = (e) => showError(`internal error: ${e.message}`);
    return worker;
  };
  const send = (m: ToWorker) => ensureWorker().postMessage(m);

  function onWorker(m: FromWorker): void {
    switch (m.type) {
      case 'progress': {
        const what = { hash: 'checking the sha256', index: 'indexing keys', read: 'verifying values' }[m.phase];
        progress.textContent = m.phase === 'index' ? `${what}…` : `${what}: ${Math.floor((100 * m.done) / Math.max(1, m.total))} %`;
        return;
      }
      case 'scanned':
        records = m.records;
        progress.textContent = `read in ${(m.millis / 1000).toFixed(2)} s; revision ${m.revision}; ${m.hashChecked ? 'sha256 trailer checked' : 'no sha256 trailer (a member db file?)'}`;
        progress.dataset.millis = String(Math.round(m.millis));
        showSummary(m.summaryText, chartSvg(m.rows));
        listObjects();
        return;
      case 'object':
        showView(m.view);
        return;
      case 'error':
        progress.textContent = '';
        showError(m.message);
        return;
    }
  }

  function showView(v: ObjectView): void {
    if (v.error !== undefined) {
      showError(`${v.key}: ${v.error}`);
      return;
    }
    const r = records.find((x) => x.key === v.key);
    const facts: [string, string][] = r === undefined ? [] : recordFacts(r);
    showObject(v.key, facts, v.yaml, v.secretData);
  }

  function showSummary(text: string, svg: string): void {
    const box = $('summary');
    box.replaceChildren(el('h2', 'verify summary'));
    const pre = el('pre', text);
    pre.dataset.testid = 'summary-text';
    const chart = el('div', undefined, 'chart');
    chart.innerHTML = svg; // built by chartSvg, which escapes every name in it
    box.append(pre, chart);
    box.hidden = false;
  }

  const search = $<HTMLInputElement>('search');
  function listObjects(): void {
    const q = search.value.trim().toLowerCase();
    const list = $('objects');
    const shown: HTMLElement[] = [];
    let matches = 0;
    records.forEach((r, i) => {
      if (q !== '' && !r.key.toLowerCase().includes(q)) return;
      if (++matches > LIST_LIMIT) return;
      const b = el('button', r.key, `obj ${r.status}${r.stale === true ? ' stale' : ''}`) as HTMLButtonElement;
      b.title = recordFacts(r)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      b.onclick = () => {
        showError(null);
        send({ type: 'object', index: i });
      };
      const li = el('li');
      li.append(b, el('span', ` ${r.status}${r.stale === true ? ', stale' : ''}`, 'status'));
      shown.push(li);
    });
    if (matches > LIST_LIMIT) shown.push(el('li', `… ${matches - LIST_LIMIT} more: narrow the search`, 'more'));
    list.replaceChildren(...shown);
    $('objects-panel').hidden = false;
  }
  search.oninput = listObjects;

  $<HTMLInputElement>('snapshot').onchange = (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    showError(null);
    $('summary').hidden = true;
    $('objects-panel').hidden = true;
    if (config.value.trim() === '') {
      showError('paste or choose the EncryptionConfiguration first: it holds the keys');
      return;
    }
    progress.textContent = 'opening…';
    send({ type: 'scan', file, config: config.value, etcdPrefix: prefix.value });
  };
}

function recordFacts(r: PageRecord): [string, string][] {
  return [
    ['status', r.status],
    ['provider', r.provider ?? '(unknown)'],
    ['key name', r.keyName ?? '-'],
    ['stale', r.stale === null ? '-' : String(r.stale)],
    ...(r.error === null ? [] : [['error', r.error] as [string, string]]),
  ];
}
