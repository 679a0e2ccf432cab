/**
 * Debian's Chromium, headless, through puppeteer-core (never a downloaded browser). Each launch gets
 * a fresh profile folder, removed on close. `chromiumMissing` says why the browser suites skip
 * outside CI; in CI (`CI=true`, set by .ci/run) a missing Chromium fails them instead.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why the Chromium suites cannot run here (null: they can); throws in CI, where skipping is not allowed. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const why = `${CHROMIUM} not found (Debian: apt-get install chromium)`;
  if (process.env.CI === 'true') throw new Error(`CI: ${why}`);
  console.warn(`SKIPPING the Chromium suites: ${why}`);
  return why;
}

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Chromium {
  browser: Browser;
  close(): Promise<void>;
}

/** `protocolTimeout` (ms): how long one DevTools call may take; benchmarks of big snapshots need more than the default. */
export async function launchChromium(opts: { protocolTimeout?: number } = {}): Promise<Chromium> {
  const profile = await mkdtemp(join(tmpdir(), 'k8s-enc-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, `--user-data-dir=${profile}`],
    // puppeteer adds its own default flags; ours are the whole list.
    ignoreDefaultArgs: true,
    pipe: true,
    ...(opts.protocolTimeout !== undefined && { protocolTimeout: opts.protocolTimeout }),
  });
  return {
    browser,
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Every request the page makes is recorded and only `file:`, `data:` and `blob:` URLs are let
 * through: the page must never reach the network, and the test says so by checking `blocked`.
 */
export async function guardNetwork(page: Page): Promise<{ requests: string[]; blocked: string[] }> {
  const seen = { requests: [] as string[], blocked: [] as string[] };
  await page.setRequestInterception(true);
  page.on('request', (req) => {
    const url = req.url();
    seen.requests.push(url);
    if (/^(file|data|blob):/.test(url)) void req.continue();
    else {
      seen.blocked.push(url);
      void req.abort('blockedbyclient');
    }
  });
  return seen;
}
