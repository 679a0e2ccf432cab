// The npm package as users get it: `npm pack` of this working tree (prepack builds dist/ and the
// prebuilt addon), installed into a scratch project with no compiler on PATH, then used from
// there by the consumer files in test/package-consumer/ — ESM, require(), npx, TypeScript,
// esbuild bundles — and checked with publint and @arethetypeswrong/cli, offline.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runInNewContext } from 'node:vm';
import * as esbuild from 'esbuild';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { nativeAvailable } from '../src/crypto/native.ts';

const ROOT = resolve(import.meta.dirname, '..');
const CONSUMER_FILES = join(ROOT, 'test', 'package-consumer');
const CAPTURED = join(ROOT, 'vectors', 'captured', 'k8s-1.8-aescbc');
const CAPTURED_BIN = join(CAPTURED, 'etcdctl-get-aescbc.bin');
const CAPTURED_CONFIG = join(CAPTURED, 'encryption-config.yaml');
const EXPECTED = JSON.parse(readFileSync(join(CAPTURED, 'expected-aescbc.json'), 'utf8'));
const NPM_BIN = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin');
const NODE_ESM_BANNER = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
const COMPILERS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'make', 'python', 'python3', 'node-gyp'];

// The prebuilt addon comes from this checkout's build (npm test's pretest). CI must have it;
// elsewhere a machine without a compiler packs without it and skips the addon checks, loudly.
const addonBuilt = nativeAvailable();
const addonRequired = process.env.CI === 'true' || addonBuilt;
if (!addonRequired)
  console.warn('\n!!! native addon not built: the package is packed without its prebuilt addon and those checks are skipped !!!\n');

let work: string;
let project: string;
let tarball: string;
let compilerLog: string;
let installMs: number;

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout as string;
}

function npm(args: string[], opts: SpawnSyncOptions = {}): string {
  return run(process.execPath, [join(NPM_BIN, 'npm-cli.js'), ...args], opts);
}

/** node <file> [args] in the scratch project; its stdout parsed as JSON. */
// biome-ignore lint/suspicious/noExplicitAny: each caller reads the fields of its own script's JSON
function nodeJson(file: string, ...args: string[]): any {
  return JSON.parse(run(process.execPath, [file, ...args], { cwd: project }));
}

/**
 * A PATH with node and sh only, where every compiler, make, python and node-gyp is a stub that
 * records its call and fails: an install that tries to build anything is caught either way.
 */
function noCompilerPath(dir: string): string {
  mkdirSync(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  symlinkSync('/bin/sh', join(dir, 'sh'));
  for (const c of COMPILERS) {
    writeFileSync(join(dir, c), `#!/bin/sh\necho "${c} $*" >> '${compilerLog}'\nexit 127\n`);
    chmodSync(join(dir, c), 0o755);
  }
  return dir;
}

before(() => {
  assert.ok(existsSync(join(NPM_BIN, 'npm-cli.js')), `npm is expected next to node at ${NPM_BIN}`);
  work = mkdtempSync(join(tmpdir(), 'k8s-enc-package-'));
  compilerLog = join(work, 'compiler-calls.log');
  // prepack (scripts/build.js, scripts/prebuild-native.js) runs as part of this.
  npm(['pack', '--pack-destination', work, '--silent'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: addonRequired ? process.env : { ...process.env, K8S_ENC_PREBUILD: 'optional' },
  });
  const packed = readdirSync(work).filter((f) => f.endsWith('.tgz'));
  assert.equal(packed.length, 1, `one tarball expected, got ${packed.join(', ')}`);
  tarball = join(work, packed[0]!);

  project = join(work, 'consumer');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const path = noCompilerPath(join(work, 'bin'));
  const start = performance.now();
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], {
    cwd: project,
    env: { ...process.env, PATH: path, npm_config_node_gyp: join(path, 'node-gyp') },
  });
  installMs = performance.now() - start;
  for (const f of readdirSync(CONSUMER_FILES)) copyFileSync(join(CONSUMER_FILES, f), join(project, f));
  console.log(`# packed ${tarball} (${readFileSync(tarball).length} bytes); install took ${installMs.toFixed(0)} ms`);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed npm package', () => {
  it('installs without running a compiler, make, python or node-gyp', () => {
    assert.equal(existsSync(compilerLog) ? readFileSync(compilerLog, 'utf8') : '', '');
    assert.ok(existsSync(join(project, 'node_modules', 'k8s-enc', 'dist', 'index.js')));
  });

  it('ships dist/ with declarations, the linux-x64 prebuilt addon and LICENSE; no source maps, src/ or tests', () => {
    const files = run('tar', ['-tzf', tarball])
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/browser.d.ts',
      'dist/cli/main.js',
      'bin/k8s-enc.js',
      'LICENSE',
      'README.md',
    ]) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    if (addonRequired) assert.ok(files.includes('prebuilds/linux-x64/k8s_enc_native.node'), 'prebuilt addon missing');
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map') || /^(src|test|vectors|bench)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts'))),
      [],
    );
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'k8s-enc', 'package.json'), 'utf8'));
    const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter((s) => pkg.scripts?.[s] !== undefined);
    assert.deepEqual(installScripts, [], 'the published package.json has no install-time script');
  });

  it('import decrypts the captured Kubernetes 1.8 Secret', () => {
    assert.deepEqual(nodeJson('decrypt-esm.mjs', CAPTURED_BIN, CAPTURED_CONFIG), { stale: false, object: EXPECTED });
  });

  it("README's library example runs as written from the install", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- test\/package\.test\.ts runs this block[^\n]*\n```js\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(block, 'the marked js block in README.md');
    const dir = join(project, 'readme');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'example.mjs'), block[1]!);
    copyFileSync(CAPTURED_BIN, join(dir, 'mysecret.bin'));
    copyFileSync(CAPTURED_CONFIG, join(dir, 'encryption-config.yaml'));
    const out = run(process.execPath, ['example.mjs'], { cwd: dir });
    // The vector's README: data.password is base64("ilovejapan\n").
    assert.match(out, /^password: ilovejapan\nstale: false\napiVersion: v1\ndata:\n {2}password: aWxvdmVqYXBhbgo=\nkind: Secret\n/);
  });

  it('require() decrypts the captured Kubernetes 1.8 Secret', () => {
    assert.deepEqual(nodeJson('decrypt-cjs.cjs', CAPTURED_BIN, CAPTURED_CONFIG), { stale: false, object: EXPECTED });
  });

  it('npx k8s-enc decrypt decrypts it from the install', () => {
    const out = run(
      process.execPath,
      [join(NPM_BIN, 'npx-cli.js'), '--no', 'k8s-enc', 'decrypt', '-c', CAPTURED_CONFIG, '-o', 'json', CAPTURED_BIN],
      {
        cwd: project,
      },
    );
    assert.deepEqual(JSON.parse(out), EXPECTED);
  });

  it('the codec-only import loads neither @grpc/grpc-js nor node:worker_threads; a live etcd read loads gRPC', () => {
    const r = nodeJson('codec-only.mjs');
    console.log(`# import('k8s-enc') from the install: ${r.importMs.toFixed(1)} ms`);
    assert.deepEqual(r.codec, { grpc: 0, workerThreads: 0 });
    assert.deepEqual(r.afterUse, { grpc: 0, workerThreads: 0 });
    assert.ok(r.afterLive.grpc > 0, 'openEndpoints loaded @grpc/grpc-js');
    assert.equal(r.error, 'ERR_ETCD_UNAVAILABLE');
  });

  it('loads the prebuilt addon from the install and batch-decrypts with it', { skip: !addonRequired && 'native addon not built' }, () => {
    const r = nodeJson('addon.mjs', CAPTURED_BIN, CAPTURED_CONFIG);
    assert.deepEqual(r.addons, [join(project, 'node_modules', 'k8s-enc', 'prebuilds', 'linux-x64', 'k8s_enc_native.node')]);
    assert.equal(r.objects.length, 64);
    for (const o of r.objects) assert.deepEqual(o, EXPECTED);
  });

  for (const resolution of ['nodenext', 'bundler']) {
    it(`a strict TypeScript consumer (${resolution} resolution, skipLibCheck false) typechecks decodeObject narrowing on kind`, () => {
      run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', `tsconfig.${resolution}.json`], {
        cwd: project,
      });
    });
  }

  const captured = (() => {
    const bytes = readFileSync(CAPTURED_BIN);
    const nl = bytes.indexOf(10);
    return {
      key: bytes.subarray(0, nl).toString(),
      value: [...bytes.subarray(nl + 1, bytes.length - 1)],
      config: readFileSync(CAPTURED_CONFIG, 'utf8'),
    };
  })();

  async function bundle(platform: 'node' | 'browser', format: 'esm' | 'cjs' | 'iife'): Promise<string> {
    const r = await esbuild.build({
      // ESM bundles for Node need a `require` for the CommonJS dependencies' own require('process')
      // & co. (yaml, gRPC): esbuild's documented banner, as the README says.
      banner: platform === 'node' && format === 'esm' ? { js: NODE_ESM_BANNER } : {},
      absWorkingDir: project,
      entryPoints: ['bundle-entry.js'],
      bundle: true,
      platform,
      format,
      target: platform === 'browser' ? 'es2020' : 'node20',
      write: false,
      logLevel: 'silent',
    });
    return r.outputFiles![0]!.text;
  }

  for (const format of ['esm', 'cjs'] as const) {
    it(`an esbuild bundle for Node (${format}) builds and decrypts with the node backend`, async () => {
      const file = join(project, `bundle-node.${format === 'esm' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, await bundle('node', format));
      const runner = join(project, `run-node-${format}.mjs`);
      writeFileSync(
        runner,
        `globalThis.captured = ${JSON.stringify(captured)};\n` +
          `await import(${JSON.stringify(file)});\nprocess.stdout.write(JSON.stringify(await globalThis.result));\n`,
      );
      assert.deepEqual(nodeJson(runner), { backend: 'node', object: EXPECTED });
    });
  }

  it('an esbuild bundle for browsers (iife, es2020) builds and decrypts where there is no Node', async () => {
    const text = await bundle('browser', 'iife');
    assert.ok(!/\b(require|import)\(|from ?"node:/.test(text), 'no module loading left in the bundle');
    // A fresh context has no process, Buffer or require: only what a browser also has.
    const sandbox: Record<string, unknown> = { crypto: globalThis.crypto, TextEncoder, TextDecoder, captured };
    sandbox['globalThis'] = sandbox;
    runInNewContext(text, sandbox);
    const got = JSON.parse(JSON.stringify(await (sandbox['result'] as Promise<unknown>)));
    assert.deepEqual(got, { backend: 'noble', object: EXPECTED });
  });

  it('an esbuild bundle for browsers (esm, es2020) builds and decrypts with process and Buffer hidden', async () => {
    const text = await bundle('browser', 'esm');
    assert.ok(!/\b(require|import)\(|from ?"node:/.test(text), 'no module loading left in the bundle');
    const file = join(project, 'bundle-browser.mjs');
    writeFileSync(file, text);
    const runner = join(project, 'run-browser-esm.mjs');
    writeFileSync(
      runner,
      `const out = process.stdout;\n` +
        `for (const name of ['process', 'Buffer']) Object.defineProperty(globalThis, name, { value: undefined, configurable: true, writable: true });\n` +
        `globalThis.captured = ${JSON.stringify(captured)};\n` +
        `await import(${JSON.stringify(file)});\nout.write(JSON.stringify(await globalThis.result));\n`,
    );
    assert.deepEqual(nodeJson(runner), { backend: 'noble', object: EXPECTED });
  });

  it('publint reports nothing, suggestions included', async () => {
    const bytes = readFileSync(tarball);
    const tar = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    const { messages, pkg } = await publint({ pack: { tarball: tar }, level: 'suggestion', strict: true });
    assert.deepEqual(
      messages.map((m) => `${m.type} ${m.code}: ${formatMessage(m, pkg)}`),
      [],
    );
  });

  it('@arethetypeswrong/cli finds no problem but require() of ESM under TypeScript 5.6 node16 (Node 20.19+ allows it, tested above)', () => {
    const attw = join(ROOT, 'node_modules', '@arethetypeswrong', 'cli', 'dist', 'index.js');
    const r = spawnSync(process.execPath, [attw, tarball, '--profile', 'esm-only', '--no-definitely-typed', '--format', 'json'], {
      encoding: 'utf8',
    });
    const problems = Object.values(JSON.parse(r.stdout).problems ?? {}).flat() as { kind: string; resolutionKind: string }[];
    assert.deepEqual(
      problems.filter((p) => !(p.kind === 'CJSResolvesToESM' && p.resolutionKind === 'node16-cjs')),
      [],
      r.stdout,
    );
    assert.equal(r.status, 0, r.stderr);
  });
});
