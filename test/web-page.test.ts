/**
 * The web page (web/, built by scripts/build-web.ts) in Debian's Chromium, opened from disk: it
 * decrypts what the CLI decrypts, says what the CLI says when it cannot, shows `verify`'s summary
 * for a snapshot read from the File, and never makes a network request. Screenshots go to a temp
 * folder (printed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { parse as parseYaml } from 'yaml';
import { buildWeb, type WebBuild } from '../scripts/build-web.ts';
import { chromiumMissing, guardNetwork, launchChromium, type Chromium } from './support/chromium.ts';
import { runCli } from './support/cli-io.ts';

const skip = chromiumMissing() ?? false;
const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-web-'));
const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
const SAMPLE_CONFIG = 'vectors/sample/encryption-config.yaml';
const SAMPLE = 'vectors/sample/snapshot.db';
// What the sample holds (vectors/sample/README.md): one put per object into a fresh etcd, whose
// revision starts at 1, so the snapshot's revision is the object count + 1.
const SAMPLE_WRITTEN: { key: string; writtenWith: 'key1' | 'key2' | 'plaintext' }[] = JSON.parse(
  readFileSync('vectors/sample/expected.json', 'utf8'),
);
const written = (w: string) => SAMPLE_WRITTEN.filter((e) => e.writtenWith === w).length;

let build: WebBuild;
let chromium: Chromium;
/** Every request any page of this file made, and those the guard had to stop: both checked at the end. */
const requests: string[] = [];
const blocked: string[] = [];

before(async () => {
  if (skip !== false) return;
  build = await buildWeb(join(dir, 'dist'));
  chromium = await launchChromium();
});
after(async () => {
  await chromium?.close();
  if (skip === false) console.log(`web page screenshots: ${dir}`);
});

async function openPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await chromium.browser.newPage();
  const net = await guardNetwork(page);
  const problems: string[] = [];
  page.on('console', (m) => problems.push(`console ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${String(e)}`));
  page.on('close', () => {
    requests.push(...net.requests);
    blocked.push(...net.blocked);
  });
  await page.setViewport({ width: 1100, height: 900 });
  await page.goto(`file://${build.page}`);
  return { page, problems };
}

const text = (page: Page, testid: string) =>
  // biome-ignore lint/performance/useDomNodeTextContent: the text as rendered, what a person sees
  page.$eval(`[data-testid="${testid}"]`, (e) => (e as unknown as { innerText: string }).innerText);
const setValue = (page: Page, testid: string, value: string) =>
  page.$eval(`[data-testid="${testid}"]`, (e, v) => void ((e as unknown as { value: string }).value = v), value);
async function upload(page: Page, testid: string, path: string): Promise<void> {
  const input = await page.$(`[data-testid="${testid}"]`);
  await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(path);
}

/** A page-side expression: the element with this test id is shown. */
const shown = (testid: string) => `!document.querySelector('[data-testid="${testid}"]').hidden`;
/** The value box says how many bytes the chosen file had once it is read. */
const VALUE_FILE_READ = `document.querySelector('[data-testid="value"]').placeholder.includes('bytes')`;

/** Decrypts in the page; returns the output's YAML (parsed) and facts, or the error text. */
async function decrypt(page: Page): Promise<{ error: string; facts: Record<string, string>; object: unknown }> {
  await page.click('[data-testid="decrypt"]');
  await page.waitForFunction(`${shown('output')} || ${shown('error')}`);
  const error = await text(page, 'error');
  const facts = Object.fromEntries(
    await page.$$eval('[data-testid="output"] dl dt', (dts) => dts.map((dt) => [dt.textContent, dt.nextElementSibling!.textContent])),
  );
  const yaml = await page.$eval('[data-testid="output"] pre.yaml', (p) => p.textContent).catch(() => null);
  return { error, facts, object: yaml === null ? null : parseYaml(yaml) };
}

test('the captured 1.8 Secret decrypts with its config; the password shows decoded on demand', { skip }, async () => {
  const { page, problems } = await openPage();
  await upload(page, 'config-file', `${CAPTURED}/encryption-config.yaml`);
  await page.waitForFunction(`document.querySelector('[data-testid="config"]').value !== ''`);
  await upload(page, 'value-file', `${CAPTURED}/etcdctl-get-aescbc.bin`);
  await page.waitForFunction(VALUE_FILE_READ);
  const r = await decrypt(page);
  assert.equal(r.error, '');
  const expected = JSON.parse(readFileSync(`${CAPTURED}/expected-aescbc.json`, 'utf8'));
  assert.deepEqual(r.object, expected);
  assert.deepEqual([r.facts.input, r.facts.provider, r.facts['key name'], r.facts.stale], ['etcdctl', 'aescbc', 'key1', 'false']);
  const password = Buffer.from(expected.data.password, 'base64').toString('utf8');
  await page.click('[data-testid="decode-data"]');
  const decoded = await page.$$eval('table.decoded tr', (trs) =>
    trs.map((tr) => [tr.querySelector('th')!.textContent, tr.querySelector('td')!.textContent]),
  );
  assert.deepEqual(decoded, [['password', password]]);
  await page.screenshot({ path: join(dir, 'one-value.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

for (const provider of ['aescbc', 'aesgcm', 'secretbox'] as const) {
  test(`round trip: a ${provider} value written by the CLI reads back in the page from base64, hex and etcdctl -w json`, {
    skip,
  }, async () => {
    const config = join(dir, `${provider}.yaml`);
    const secret = randomBytes(32).toString('base64');
    writeFileSync(
      config,
      `apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - ${provider}:\n          keys:\n            - name: k-${provider}\n              secret: ${secret}\n`,
    );
    const key = `/registry/secrets/default/rt-${provider}`;
    const obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `rt-${provider}`, namespace: 'default' },
      data: { token: Buffer.from(`s3cret ${provider} ✓`).toString('base64') },
      type: 'Opaque',
    };
    const enc = await runCli(['encrypt', '-c', config, '--etcd-key', key, '-o', 'base64'], JSON.stringify(obj));
    assert.equal(enc.code, 0, enc.err);
    const stored = Buffer.from(enc.out.trim(), 'base64');
    const cli = await runCli(['decrypt', '-c', config, '--etcd-key', key, '-o', 'json'], stored);
    assert.equal(cli.code, 0, cli.err);
    const { page, problems } = await openPage();
    await setValue(page, 'config', readFileSync(config, 'utf8'));
    const json = JSON.stringify({
      header: {},
      kvs: [{ key: Buffer.from(key).toString('base64'), value: stored.toString('base64') }],
      count: 1,
    });
    for (const [form, input, etcdKey] of [
      ['base64', enc.out, key],
      ['hex', stored.toString('hex'), key],
      ['etcdctl-json', json, ''],
    ]) {
      await setValue(page, 'value', input!);
      await setValue(page, 'etcd-key', etcdKey!);
      const r = await decrypt(page);
      assert.equal(r.error, '', form);
      assert.deepEqual(r.object, JSON.parse(cli.out), form);
      assert.deepEqual([r.facts.input, r.facts.provider, r.facts['key name']], [form, provider, `k-${provider}`]);
    }
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test("a wrong key shows the CLI's wrong-key text; a KMS value is explained with its key ID", { skip }, async () => {
  const wrong = join(dir, 'wrong-key.yaml');
  writeFileSync(
    wrong,
    // A fixed wrong key whose decryption of this value fails the padding check (a random one passes it 1 time in 256).
    readFileSync(`${CAPTURED}/encryption-config.yaml`, 'utf8').replace(/secret: \S+/, `secret: ${Buffer.alloc(32, 7).toString('base64')}`),
  );
  const value = readFileSync(`${CAPTURED}/etcdctl-get-aescbc.bin`);
  const cli = await runCli(['decrypt', '-c', wrong], value);
  assert.equal(cli.code, 1);
  const { page, problems } = await openPage();
  await setValue(page, 'config', readFileSync(wrong, 'utf8'));
  await upload(page, 'value-file', `${CAPTURED}/etcdctl-get-aescbc.bin`);
  await page.waitForFunction(VALUE_FILE_READ);
  const r = await decrypt(page);
  assert.equal(`error: ${r.error}\n`, cli.err);
  assert.match(r.error, /no configured key decrypts this value \(written with aescbc key1\)/);

  // A KMS v2 value the real apiserver wrote (vectors/transformers/positive.jsonl pos-0703).
  const kms = readFileSync('vectors/transformers/positive.jsonl', 'utf8')
    .split('\n')
    .map((l) => (l === '' ? null : JSON.parse(l)))
    .find((v) => v?.id === 'pos-0703');
  await setValue(
    page,
    'config',
    'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - kms: {apiVersion: v2, name: kms2dek, endpoint: unix:///run/kms.sock}\n',
  );
  await setValue(page, 'value', kms.stored);
  await page.$eval('[data-testid="value"]', (e) => e.dispatchEvent(new Event('input')));
  await setValue(page, 'etcd-key', kms.authenticatedData);
  const k = await decrypt(page);
  assert.equal(k.error, '');
  assert.equal(k.facts.provider, 'kms:v2');
  assert.equal(k.facts.keyID, 'key-id-dek-1');
  assert.match(await text(page, 'output'), /only the KMS plugin of that provider .* can decrypt it.*--kms-endpoint kms2dek=unix:/s);
  assert.deepEqual(problems, []);
  await page.close();
});

/** Loads a snapshot in the page and waits for the summary (or an error). */
async function scanSnapshot(page: Page, config: string, snapshot: string): Promise<void> {
  await setValue(page, 'config', readFileSync(config, 'utf8'));
  await upload(page, 'snapshot', snapshot);
  await page.waitForFunction(`${shown('summary')} || ${shown('error')}`, { timeout: 600_000 });
  assert.equal(await text(page, 'error'), '');
}

/** The table output's summary: the lines after the blank line that ends the records. */
async function cliSummary(config: string, snapshot: string): Promise<string> {
  const r = await runCli(['verify', '--snapshot', snapshot, '-c', config]);
  return r.out.split('\n\n')[1]!.trimEnd();
}

test("the sample snapshot: the summary equals k8s-enc verify's; objects are listed, searchable and shown as YAML", { skip }, async () => {
  const { page, problems } = await openPage();
  await scanSnapshot(page, SAMPLE_CONFIG, SAMPLE);
  assert.equal(await text(page, 'summary-text'), await cliSummary(SAMPLE_CONFIG, SAMPLE));
  assert.ok((await text(page, 'progress')).endsWith(`revision ${SAMPLE_WRITTEN.length + 1}; sha256 trailer checked`));
  const expected: { key: string; object: unknown }[] = JSON.parse(readFileSync('vectors/sample/expected.json', 'utf8'));
  const listed = () => page.$$eval('[data-testid="objects"] button', (bs) => bs.map((b) => b.textContent));
  assert.deepEqual(await listed(), expected.map((e) => e.key).sort());
  await page.type('[data-testid="search"]', 'team-a/');
  assert.deepEqual(
    await listed(),
    expected
      .map((e) => e.key)
      .filter((k) => k.includes('team-a/'))
      .sort(),
  );
  const target = '/registry/secrets/team-a/registry-pull';
  await page.$$eval('[data-testid="objects"] button', (bs, t) => bs.find((b) => b.textContent === t)!.click(), target);
  await page.waitForFunction(`document.querySelector('[data-testid="output"] h2')?.textContent === ${JSON.stringify(target)}`);
  const yaml = await page.$eval('[data-testid="output"] pre.yaml', (p) => p.textContent!);
  assert.deepEqual(parseYaml(yaml), expected.find((e) => e.key === target)!.object);
  await page.screenshot({ path: join(dir, 'snapshot.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test("a snapshot with failures: the page's summary equals verify's; failed objects say why", { skip }, async () => {
  const withoutKey2 = join(dir, 'without-key2.yaml');
  writeFileSync(withoutKey2, readFileSync(SAMPLE_CONFIG, 'utf8').replace(/\n *- name: key2\n *secret: \S+/, ''));
  const { page, problems } = await openPage();
  await scanSnapshot(page, withoutKey2, SAMPLE);
  const summary = await text(page, 'summary-text');
  assert.equal(summary, await cliSummary(withoutKey2, SAMPLE));
  // Without key2: key1 values decrypt, key2 values fail, plaintext ones read as stale (identity is second).
  const want = `${SAMPLE_WRITTEN.length} keys: ${written('key1')} encrypted, ${written('plaintext')} plaintext, ${written('key2')} failed; ${written('plaintext')} stale`;
  assert.ok(summary.startsWith(want), `${summary} should start with ${want}`);
  await page.click('[data-testid="objects"] button.error');
  await page.waitForFunction(shown('error'));
  assert.match(await text(page, 'error'), /: no configured key decrypts this value \(written with aescbc key2\)$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the page cannot reach the network: fetch is refused by its CSP before any request', { skip }, async () => {
  const { page } = await openPage();
  const outcome = await page.evaluate(`fetch('http://127.0.0.1:9/leak').then(() => 'sent', (e) => 'refused: ' + e.message)`);
  assert.match(String(outcome), /^refused/);
  assert.match(await page.content(), /connect-src 'none'/);
  await page.close();
});

test('the IIFE bundle (global K8sEnc) decrypts the captured 1.8 Secret in a page of its own', { skip }, async () => {
  const html = join(build.dir, 'iife.html');
  const value = [...readFileSync(`${CAPTURED}/etcdctl-get-aescbc.bin`)];
  const config = readFileSync(`${CAPTURED}/encryption-config.yaml`, 'utf8');
  writeFileSync(
    html,
    `<!doctype html><meta charset="utf-8"><script src="k8s-enc.iife.js"></script><script>
    window.result = (async () => {
      const bytes = Uint8Array.from(${JSON.stringify(value)});
      const nl = bytes.indexOf(10);
      const key = new TextDecoder().decode(bytes.subarray(0, nl));
      const config = K8sEnc.parseEncryptionConfig(${JSON.stringify(config)});
      const { data, stale } = await K8sEnc.createTransformer(config, 'secrets').fromStorage(bytes.subarray(nl + 1, bytes.length - 1), key);
      return { backend: K8sEnc.getBackend().name, stale, obj: K8sEnc.decodeObject(data) };
    })();
  </script>`,
  );
  const page = await chromium.browser.newPage();
  const net = await guardNetwork(page);
  await page.goto(`file://${html}`);
  const got = await page.evaluate('window.result');
  assert.deepEqual(got, { backend: 'noble', stale: false, obj: JSON.parse(readFileSync(`${CAPTURED}/expected-aescbc.json`, 'utf8')) });
  assert.deepEqual(net.blocked, []);
  await page.close();
});

test('no page of this file sent a request anywhere but its own file', { skip }, () => {
  assert.ok(requests.length > 0);
  assert.deepEqual(blocked, []);
  for (const url of requests) assert.match(url, /^file:\/\//);
});
