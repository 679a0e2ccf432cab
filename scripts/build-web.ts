/**
 * `npm run build:web`: web/dist/index.html, the whole page in one file (script and stylesheet
 * inline, allowed by their sha256 in the page's Content-Security-Policy), so it works opened from
 * disk as well as from any static server. Also web/dist/k8s-enc.iife.js, the codec alone as a
 * classic script (global `K8sEnc`), for pages of one's own.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

export interface WebBuild {
  dir: string;
  page: string;
  iife: string;
  /** The page's size in bytes, raw and gzip -9. */
  bytes: number;
  gzipBytes: number;
}

const sha256 = (s: string) => `sha256-${createHash('sha256').update(s).digest('base64')}`;

async function bundle(entry: string, opts: esbuild.BuildOptions = {}): Promise<string> {
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2020',
    minify: true,
    write: false,
    logLevel: 'silent',
    ...opts,
  });
  return r.outputFiles![0]!.text;
}

export async function buildWeb(dir = 'web/dist'): Promise<WebBuild> {
  const [script, iife, template, style] = await Promise.all([
    bundle('web/src/entry.ts'),
    bundle('src/browser.ts', { globalName: 'K8sEnc' }),
    readFile('web/index.html', 'utf8'),
    readFile('web/style.css', 'utf8'),
  ]);
  // The script goes inside <script>…</script>: it must not end that element early.
  if (/<\/script/i.test(script)) throw new Error('the page script contains "</script"');
  const css = style.trim();
  const html = template
    .replace('%SCRIPT_HASH%', sha256(script))
    .replace('%STYLE_HASH%', sha256(css))
    .replace('%STYLE%', () => css)
    .replace('%SCRIPT%', () => script);
  await mkdir(dir, { recursive: true });
  const page = join(dir, 'index.html');
  const iifePath = join(dir, 'k8s-enc.iife.js');
  await Promise.all([writeFile(page, html), writeFile(iifePath, iife)]);
  const bytes = Buffer.byteLength(html);
  return { dir, page, iife: iifePath, bytes, gzipBytes: gzipSync(html, { level: 9 }).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const b = await buildWeb(process.argv[2]);
  console.log(`${b.page}: ${(b.bytes / 1024).toFixed(1)} KiB (${(b.gzipBytes / 1024).toFixed(1)} KiB gzip); ${b.iife}`);
}
