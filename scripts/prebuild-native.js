#!/usr/bin/env node
/**
 * Puts the prebuilt addon into the package (run by `prepack`): builds native/ if needed, checks
 * that the binary loads and agrees with node:crypto, and copies it to
 * prebuilds/<platform>-<arch>/k8s_enc_native.node, where src/crypto/native.ts finds it in an
 * installed package. Installing the package then never needs a compiler.
 *
 * The package ships linux-x64 (glibc) only: packing there without a working addon is an error,
 * unless K8S_ENC_PREBUILD=optional (test/package.test.ts on a machine without a compiler, outside
 * CI). Elsewhere this warns and ships no prebuild; those platforms use node:crypto.
 */
import { spawnSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'native', 'build', 'Release', 'k8s_enc_native.node');
const target = `${process.platform}-${process.arch}`;
const shipped = target === 'linux-x64' && process.env.K8S_ENC_PREBUILD !== 'optional';

function fail(message) {
  if (shipped) {
    console.error(`k8s-enc prebuild: ${message}`);
    process.exit(1);
  }
  console.warn(`k8s-enc prebuild: ${message}; the package will use node:crypto on ${target}`);
  process.exit(0);
}

rmSync(join(root, 'prebuilds'), { recursive: true, force: true });
if (process.env.K8S_ENC_NATIVE === '0') fail('K8S_ENC_NATIVE=0');
spawnSync(process.execPath, [join(root, 'scripts', 'build-native.js'), '--if-stale'], { stdio: 'inherit' });
if (!existsSync(built)) fail(`${built} was not built (needs a C compiler, make and python3)`);

// One GCM seal and one CBC decrypt through the addon's calls, compared with node:crypto.
let addon;
try {
  addon = createRequire(import.meta.url)(built);
} catch (e) {
  fail(`the addon does not load: ${e.message}`);
}
const key = randomBytes(32);
const nonce = randomBytes(12);
const plain = randomBytes(100);
const ad = Buffer.from('/registry/secrets/default/x');
const sealed = new Uint8Array(12 + plain.length + 16);
addon.gcmSeal(key, [nonce], [plain], [ad], new Uint8Array(0), sealed);
const c = createCipheriv('aes-256-gcm', key, nonce).setAAD(ad);
const expected = Buffer.concat([nonce, c.update(plain), c.final(), c.getAuthTag()]);
if (!expected.equals(sealed)) fail('the addon’s AES-GCM disagrees with node:crypto');
const iv = randomBytes(16);
const cbc = createCipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
const body = Buffer.concat([iv, cbc.update(plain.subarray(0, 96)), cbc.final()]);
const raw = new Uint8Array(96);
addon.cbcDecrypt(key, [body], raw);
const d = createDecipheriv('aes-256-cbc', key, iv).setAutoPadding(false);
if (!Buffer.concat([d.update(body.subarray(16)), d.final()]).equals(raw)) fail('the addon’s AES-CBC disagrees with node:crypto');

const dest = join(root, 'prebuilds', target, 'k8s_enc_native.node');
mkdirSync(dirname(dest), { recursive: true });
copyFileSync(built, dest);
console.log(`k8s-enc prebuild: ${dest.slice(root.length + 1)}`);
