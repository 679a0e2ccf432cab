/**
 * The web page's numbers: its size (raw and gzip -9) and the time to open a snapshot in it, in
 * Debian's Chromium (headless): from choosing the file to the summary shown, and the worker's own
 * time (sha256 check + index + verify of every value). Not part of `npm run bench` (it needs
 * Chromium); run it alone:
 *
 *   npx tsx bench/web.ts [SNAPSHOT CONFIG]   # default: bench/.work's 100,000-Secret snapshot
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildWeb } from '../scripts/build-web.ts';
import { guardNetwork, launchChromium } from '../test/support/chromium.ts';
import { WORK_DIR } from './snapshot-build.ts';

const [snapshot = `${WORK_DIR}secrets-100000x2048.db`, config = `${WORK_DIR}encryption-config.yaml`] = process.argv.slice(2);
if (!existsSync(snapshot))
  throw new Error(`${snapshot} not found: build it with \`npx tsx bench/run.ts --only=snapshot\` or pass SNAPSHOT CONFIG`);

const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-web-bench-'));
const chromium = await launchChromium({ protocolTimeout: 60 * 60_000 });
try {
  const build = await buildWeb(dir);
  console.log(
    `page: ${build.bytes} bytes (${(build.bytes / 1024).toFixed(1)} KiB), gzip -9 ${build.gzipBytes} bytes (${(build.gzipBytes / 1024).toFixed(1)} KiB)`,
  );
  const page = await chromium.browser.newPage();
  const net = await guardNetwork(page);
  await page.goto(`file://${build.page}`);
  await page.$eval('[data-testid="config"]', (e, v) => void ((e as unknown as { value: string }).value = v), readFileSync(config, 'utf8'));
  const input = (await page.$('[data-testid="snapshot"]')) as unknown as { uploadFile(p: string): Promise<void> };
  const started = performance.now();
  await input.uploadFile(snapshot);
  await page.waitForFunction(
    `!document.querySelector('[data-testid="summary"]').hidden || !document.querySelector('[data-testid="error"]').hidden`,
    { timeout: 0, polling: 100 },
  );
  const wall = performance.now() - started;
  const error = await page.evaluate(`document.querySelector('[data-testid="error"]').innerText`);
  if (error !== '') throw new Error(String(error));
  const worker = Number(await page.evaluate(`document.querySelector('[data-testid="progress"]').dataset.millis`));
  const summary = await page.evaluate(`document.querySelector('[data-testid="summary-text"]').innerText`);
  console.log(`${snapshot}: summary shown after ${(wall / 1000).toFixed(2)} s (worker: ${(worker / 1000).toFixed(2)} s)`);
  console.log(String(summary));
  if (net.blocked.length > 0) throw new Error(`requests blocked: ${net.blocked.join(', ')}`);
} finally {
  await chromium.close();
  await rm(dir, { recursive: true, force: true });
}
