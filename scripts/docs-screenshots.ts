/**
 * The README's pictures (docs/web-page.png, docs/verify-report.png), made in Debian's Chromium from
 * the bundled sample: the page after opening vectors/sample/snapshot.db and one Secret, and the
 * `verify --report` of the sample with key2 removed from its config (so it has failures to show).
 *
 *   npx tsx scripts/docs-screenshots.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../src/cli/main.ts';
import { buildWeb } from './build-web.ts';
import { launchChromium } from '../test/support/chromium.ts';

const CONFIG = 'vectors/sample/encryption-config.yaml';
const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-docs-'));
const chromium = await launchChromium();
try {
  const build = await buildWeb(dir);
  const page = await chromium.browser.newPage();
  await page.setViewport({ width: 900, height: 600 });
  await page.goto(`file://${build.page}`);
  await page.$eval('[data-testid="config"]', (e, v) => void ((e as unknown as { value: string }).value = v), readFileSync(CONFIG, 'utf8'));
  const input = (await page.$('[data-testid="snapshot"]')) as unknown as { uploadFile(p: string): Promise<void> };
  await input.uploadFile('vectors/sample/snapshot.db');
  await page.waitForFunction(`!document.querySelector('[data-testid="summary"]').hidden`);
  await page.click('[data-testid="objects"] li:nth-child(5) button');
  await page.waitForFunction(`!document.querySelector('[data-testid="output"]').hidden`);
  await page.click('[data-testid="decode-data"]');
  // From the "…or a whole snapshot" heading down: the inputs above it are empty boxes.
  const top = Number(
    await page.evaluate(
      `[...document.querySelectorAll('h2')].find((h) => h.textContent.includes('whole snapshot')).getBoundingClientRect().top + scrollY - 8`,
    ),
  );
  const height = Number(await page.evaluate('document.documentElement.scrollHeight'));
  await page.screenshot({
    path: 'docs/web-page.png',
    clip: { x: 0, y: top, width: 900, height: height - top },
    captureBeyondViewport: true,
  });

  const config = join(dir, 'without-key2.yaml');
  writeFileSync(config, readFileSync(CONFIG, 'utf8').replace(/\n *- name: key2\n *secret: \S+/, ''));
  const report = join(dir, 'report.html');
  const quiet = { write: () => {} };
  await run(['verify', '--snapshot', 'vectors/sample/snapshot.db', '-c', config, '--report', report], {
    stdout: quiet,
    stderr: quiet,
    readStdin: async () => new Uint8Array(0),
    stderrIsTTY: false,
  });
  await page.goto(`file://${report}`);
  await page.screenshot({ path: 'docs/verify-report.png', fullPage: true });
  console.log('wrote docs/web-page.png, docs/verify-report.png');
} finally {
  await chromium.close();
  await rm(dir, { recursive: true, force: true });
}
