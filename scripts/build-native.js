#!/usr/bin/env node
/**
 * Builds the optional OpenSSL batch addon (native/) with the node-gyp that npm ships: the opt-in
 * `npm run build:native`, and `pretest` (so `npm test` in a checkout builds it once; an
 * install of the package never runs this, it ships a prebuilt binary instead, see
 * prebuild-native.js). Never fails: the library falls back to node:crypto without it, so an
 * install must not break on a machine without a compiler. CI makes the build mandatory through
 * test/native.test.ts instead.
 *
 * `--if-stale` skips the build when the addon is newer than its sources (pretest runs before
 * every `npm test`).
 *
 * Node's headers are looked up next to the running node (`<prefix>/include/node`, where distro
 * and official builds put them) so node-gyp does not try to download them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((c) => c && existsSync(c));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const ADDON = join(root, 'native', 'build', 'Release', 'k8s_enc_native.node');

function upToDate() {
  if (!existsSync(ADDON)) return false;
  const built = statSync(ADDON).mtimeMs;
  return ['k8s_enc_native.c', 'binding.gyp'].every((f) => statSync(join(root, 'native', f)).mtimeMs <= built);
}

function build() {
  if (process.env.K8S_ENC_NATIVE === '0') return 'skipped (K8S_ENC_NATIVE=0)';
  const gyp = nodeGyp();
  if (!gyp) return 'node-gyp not found';
  const dir = nodeDir();
  const args = [gyp, 'rebuild', `--directory=${join(root, 'native')}`, ...(dir ? [`--nodedir=${dir}`] : [])];
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  return r.status === 0 ? null : `node-gyp exited with ${r.status ?? r.signal}`;
}

if (process.argv.includes('--if-stale') && upToDate()) {
  console.log('k8s-enc: native addon up to date (native/build/Release/k8s_enc_native.node)');
  process.exit(0);
}
const problem = build();
if (problem) {
  console.warn(`k8s-enc: native addon not built (${problem}); using node:crypto for batch AES instead.`);
} else {
  console.log('k8s-enc: native addon built (native/build/Release/k8s_enc_native.node)');
}
