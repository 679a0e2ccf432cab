/** Builds and runs bench/go (Go stdlib doing the apiserver's per-value work); no rows without Go. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Row } from './results.ts';

function hasGo(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let built: string | null | undefined;

/**
 * The bench/go binary, built once per process; null without Go. GOPATH mode against Debian's
 * golang-golang-x-crypto-dev, golang-github-coreos-bbolt-dev and golang-gopkg-yaml.v2-dev: it
 * builds with no network, which a module-mode build would need to fetch its dependencies.
 */
export function goBenchBinary(): string | null {
  if (built !== undefined) return built;
  if (!hasGo()) {
    console.log(
      'go not found: no Go baseline rows (apt-get install golang-go golang-golang-x-crypto-dev golang-github-coreos-bbolt-dev golang-gopkg-yaml.v2-dev)',
    );
    return (built = null);
  }
  const dir = mkdtempSync(join(tmpdir(), 'k8sencbench-'));
  const bin = join(dir, 'k8sencbench');
  const env = { ...process.env, GO111MODULE: 'off', GOPATH: process.env.GOPATH_BENCH ?? '/usr/share/gocode', GOCACHE: join(dir, 'cache') };
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: new URL('./go/', import.meta.url), env, stdio: ['ignore', 'inherit', 'inherit'] });
  return (built = bin);
}

export function runGoBaseline(values: number, sizes: readonly number[]): Row[] {
  const bin = goBenchBinary();
  if (bin === null) return [];
  const out = execFileSync(bin, ['-values', String(values), '-sizes', sizes.join(','), '-procs', '1'], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);
}
