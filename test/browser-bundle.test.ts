// The codec must run where there is no Node: bundle src/browser.ts for the browser and run the
// bundle with `process` hidden, so nothing Node-only can be reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import * as esbuild from 'esbuild';
import type { K8sEncError } from '../src/errors.ts';

// ES2020 and iife: both fail to build if any module of the codec uses top-level await.
async function build(format: 'esm' | 'iife'): Promise<{ text: string; metafile: esbuild.Metafile }> {
  const r = await esbuild.build({
    metafile: true,
    entryPoints: ['src/browser.ts'],
    bundle: true,
    platform: 'browser',
    format,
    globalName: format === 'iife' ? 'k8sEnc' : undefined,
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return { text: r.outputFiles[0]!.text, metafile: r.metafile! };
}

const esm = await build('esm');
const bundle = esm.text;
const iife = await build('iife');

// Node built-ins are reached through process.getBuiltinModule (src/node-only.ts), which bundlers
// do not follow; an import of one would make esbuild fail or leave an external import behind.
test('the browser bundles (esm and iife) import no Node module and contain no Node-only code', () => {
  for (const [name, { text, metafile }] of [
    ['esm', esm],
    ['iife', iife],
  ] as const) {
    const external = Object.values(metafile.inputs).flatMap((i) =>
      i.imports.filter((x) => (x.external && x.path !== '<runtime>') || x.path.startsWith('node:')).map((x) => x.path),
    );
    assert.deepEqual(external, [], `${name}: external imports`);
    for (const input of Object.keys(metafile.inputs)) {
      assert.ok(
        !/@grpc|sodium-native|src\/(kms|cli)\/|src\/etcd\/(live|snapshot|bbolt|mvcc)|src\/crypto\/workers/.test(input),
        `${name} bundle contains ${input}`,
      );
    }
    for (const call of ['require("', 'import("', 'from "node:']) assert.ok(!text.includes(call), `${name} bundle has ${call}`);
  }
});

test('the iife bundle runs in a context without Node: noble backend, ERR_NODE_ONLY for the node one', () => {
  const sandbox = { crypto: globalThis.crypto, TextEncoder, TextDecoder };
  const m = runInNewContext(`${iife.text}; k8sEnc`, sandbox) as typeof import('../src/browser.ts');
  assert.equal(m.getBackend().name, 'noble');
  assert.throws(
    () => m.getBackend('node'),
    (e: K8sEncError) => e.name === 'K8sEncError' && e.code === 'ERR_NODE_ONLY' && m.isK8sEncError(e),
  );
  const config = m.parseEncryptionConfig(readFileSync('vectors/captured/k8s-1.8-aescbc/encryption-config.yaml', 'utf8'));
  assert.equal(config.resources.length > 0, true);
});

test('the browser bundle decrypts and decodes the captured 1.8 Secret with process hidden', () => {
  const dir = mkdtempSync(join(tmpdir(), 'k8s-enc-browser-'));
  try {
    writeFileSync(join(dir, 'bundle.mjs'), bundle);
    // The runner hides `process` before the bundle loads and restores it only to print.
    const runner = `
      const out = globalThis.process;
      Object.defineProperty(globalThis, 'process', { value: undefined, configurable: true, writable: true });
      const m = await import(${JSON.stringify(join(dir, 'bundle.mjs'))});
      const captured = ${JSON.stringify([...readFileSync('vectors/captured/k8s-1.8-aescbc/etcdctl-get-aescbc.bin')])};
      const bytes = Uint8Array.from(captured);
      const nl = bytes.indexOf(10);
      const key = new TextDecoder().decode(bytes.subarray(0, nl));
      const value = bytes.subarray(nl + 1, bytes.length - 1);
      const config = m.parseEncryptionConfig(${JSON.stringify(readFileSync('vectors/captured/k8s-1.8-aescbc/encryption-config.yaml', 'utf8'))});
      const { data, stale } = await m.createTransformer(config, 'secrets').fromStorage(value, key);
      const obj = m.decodeObject(data);
      const backend = m.getBackend().name;
      globalThis.process = out;
      out.stdout.write(JSON.stringify({ backend, stale, obj }));
    `;
    writeFileSync(join(dir, 'runner.mjs'), runner);
    const r = spawnSync(process.execPath, [join(dir, 'runner.mjs')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout);
    assert.equal(got.backend, 'noble');
    assert.equal(got.stale, false);
    assert.deepEqual(got.obj, JSON.parse(readFileSync('vectors/captured/k8s-1.8-aescbc/expected-aescbc.json', 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
