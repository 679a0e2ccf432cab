/**
 * `verify --report FILE.html`: its numbers are the ndjson records' (counted here from the records,
 * not by the report code), it is private and self-contained, and it renders in real Chromium
 * (screenshots land in a temp folder: the path is printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VerifyReportCollector } from '../src/cli/verify-report.ts';
import { chromiumMissing, guardNetwork, launchChromium } from './support/chromium.ts';
import { runCli } from './support/cli-io.ts';

const SNAPSHOT = 'vectors/sample/snapshot.db';
const CONFIG = 'vectors/sample/encryption-config.yaml';
// What the sample holds (vectors/sample/README.md): one put per object into a fresh etcd, whose
// revision starts at 1, so the snapshot's revision is the object count + 1.
const SAMPLE_WRITTEN: { key: string }[] = JSON.parse(readFileSync('vectors/sample/expected.json', 'utf8'));
const SAMPLE_REVISION = SAMPLE_WRITTEN.length + 1;
const out = mkdtempSync(join(tmpdir(), 'k8s-enc-report-'));
// The sample's config without key2: the values written with key2 fail to read.
const WITHOUT_KEY2 = join(out, 'without-key2.yaml');
writeFileSync(WITHOUT_KEY2, readFileSync(CONFIG, 'utf8').replace(/\n *- name: key2\n *secret: \S+/, ''));

interface Rec {
  key: string;
  resource: string | null;
  status: string;
  provider: string | null;
  keyName: string | null;
  stale: boolean | null;
  error: string | null;
}

async function verifyWithReport(config: string, name: string, extra: string[] = []) {
  const report = join(out, name);
  const r = await runCli(['verify', '--snapshot', SNAPSHOT, '-c', config, '-o', 'ndjson', '--report', report, ...extra]);
  const lines = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = lines.pop().summary;
  return { code: r.code, err: r.err, records: lines as Rec[], summary, report, html: readFileSync(report, 'utf8') };
}

function attrs(tag: string): Record<string, string> {
  const unescapeAttr = (v: string) => v.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
  return Object.fromEntries([...tag.matchAll(/ data-([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, unescapeAttr(m[2]!)]));
}

/** The report's table rows, and the same counted from the ndjson records. */
function rowsOf(html: string) {
  return [...html.matchAll(/<tr data-row[^>]*>/g)]
    .map((m) => attrs(m[0]))
    .map((a) => [a.resource, a.provider, a['key-name'], +a.values!, +a.stale!, +a.failed!].join(' '));
}
function rowsFromRecords(records: Rec[]) {
  const counts = new Map<string, [number, number, number]>();
  for (const r of records) {
    const id = [r.resource, r.provider ?? '', r.keyName ?? ''].join(' ');
    const c = counts.get(id) ?? [0, 0, 0];
    c[0]++;
    if (r.stale === true) c[1]++;
    if (r.status === 'error') c[2]++;
    counts.set(id, c);
  }
  return [...counts].map(([id, c]) => `${id} ${c.join(' ')}`);
}
const keysIn = (html: string, list: string) => {
  const m = new RegExp(`<details[^>]*data-list="${list}"[^>]*>([\\s\\S]*?)</details>`).exec(html);
  return m === null ? [] : [...m[1]!.matchAll(/<td class="key">([^<]*)</g)].map((k) => k[1]);
};

test('the sample report: totals, rows and stale list equal the ndjson records; 0600; hashes, never keys', async () => {
  const r = await verifyWithReport(CONFIG, 'sample.html');
  assert.equal(r.code, 0, r.err);
  assert.equal(statSync(r.report).mode & 0o777, 0o600);
  const totals = attrs(/<p class="totals"[^>]*>/.exec(r.html)![0]);
  assert.deepEqual(
    { keys: +totals.keys!, ok: +totals.ok!, plaintext: +totals.plaintext!, failed: +totals.failed!, stale: +totals.stale! },
    {
      keys: r.records.length,
      ok: r.records.filter((x) => x.status === 'ok').length,
      plaintext: r.records.filter((x) => x.status === 'plaintext').length,
      failed: r.records.filter((x) => x.status === 'error').length,
      stale: r.records.filter((x) => x.stale === true).length,
    },
  );
  assert.equal(+totals.keys!, r.summary.keys);
  assert.deepEqual(rowsOf(r.html).sort(), rowsFromRecords(r.records).sort());
  assert.deepEqual(
    keysIn(r.html, 'Stale values'),
    r.records.filter((x) => x.stale === true).map((x) => x.key),
  );
  assert.match(r.html, /Failed values: none/);
  // sha256sum of the snapshot and of the config file, as an auditor would recompute them.
  const { createHash } = await import('node:crypto');
  assert.ok(r.html.includes(createHash('sha256').update(readFileSync(SNAPSHOT)).digest('hex')));
  assert.ok(r.html.includes(createHash('sha256').update(readFileSync(CONFIG)).digest('hex')));
  assert.ok(r.html.includes(`<dt>Revision</dt><dd>${SAMPLE_REVISION}</dd>`));
  for (const secret of readFileSync(CONFIG, 'utf8').matchAll(/secret: (\S+)/g))
    assert.ok(!r.html.includes(secret[1]!), 'a key is in the report');
  assert.doesNotMatch(r.html, /<script|<link|<img|src=|href=|url\(/i);
});

test('a report with failures lists each failed key with its error; worker threads give the same report', async () => {
  const r = await verifyWithReport(WITHOUT_KEY2, 'failures.html');
  assert.equal(r.code, 3, r.err);
  const failed = r.records.filter((x) => x.status === 'error');
  assert.ok(failed.length > 0);
  assert.deepEqual(
    keysIn(r.html, 'Failed values'),
    failed.map((x) => x.key),
  );
  for (const f of failed) assert.ok(r.html.includes(f.error!), f.error!);
  assert.deepEqual(rowsOf(r.html).sort(), rowsFromRecords(r.records).sort());
  const threaded = await verifyWithReport(WITHOUT_KEY2, 'failures-workers.html', ['--workers', '2']);
  const strip = (h: string) => h.replace(/<dt>Date<\/dt><dd>[^<]*<\/dd>/, '');
  assert.equal(strip(threaded.html), strip(r.html));
});

test('--report: a missing folder is a usage error before any scan', async () => {
  const r = await runCli(['verify', '--snapshot', SNAPSHOT, '-c', CONFIG, '--report', join(out, 'no-such-dir', 'r.html')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /--report .*does not exist/);
});

test('etcd keys and errors are escaped: a hostile key cannot add markup to the report', () => {
  const c = new VerifyReportCollector();
  const evil = '/registry/secrets/x/<img src=x onerror=alert(1)>"\'&';
  c.add({
    status: 'error',
    provider: 'aescbc',
    keyName: '<b>k</b>',
    stale: null,
    resource: 'secrets</text><script>',
    key: evil,
    error: '<i>bad</i>',
  });
  const summary = { keys: 1, ok: 0, plaintext: 0, failed: 1, stale: 0, byProvider: [] };
  const html = c.html(summary, {
    source: { kind: 'endpoints', endpoints: ['https://127.0.0.1:2379/<x>'], revision: 1 },
    config: { path: '<c>.yaml', sha256: '00' },
    etcdPrefix: '/registry',
    date: new Date(0),
  });
  assert.doesNotMatch(html, /<img|<script|<b>k|<i>bad|<x>|<c>/);
  assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;&#34;&#39;&#38;'));
});

test('both reports render in Chromium with nothing loaded and no CSP violation; screenshots', {
  skip: chromiumMissing() ?? false,
}, async () => {
  const chromium = await launchChromium();
  try {
    for (const name of ['sample.html', 'failures.html']) {
      const page = await chromium.browser.newPage();
      const net = await guardNetwork(page);
      const problems: string[] = [];
      page.on('console', (m) => problems.push(m.text()));
      page.on('pageerror', (e) => problems.push(String(e)));
      await page.setViewport({ width: 1000, height: 700 });
      await page.goto(`file://${join(out, name)}`);
      const shown = await page.evaluate(`document.querySelector('p.totals').innerText`);
      assert.ok(String(shown).startsWith(`${SAMPLE_WRITTEN.length} keys: `), String(shown));
      // The stylesheet applied (CSP allowed its hash): the chart's bars and the list toggles exist.
      assert.equal(await page.evaluate('getComputedStyle(document.body).maxWidth'), '980px');
      assert.ok((await page.$$('svg rect')).length >= 6);
      await page.screenshot({ path: join(out, name.replace('.html', '.png')), fullPage: true });
      assert.deepEqual(problems, []);
      assert.deepEqual(net.requests, [`file://${join(out, name)}`]);
      await page.close();
    }
    console.log(`report screenshots: ${out}`);
  } finally {
    await chromium.close();
  }
});
