// The codec must run where there is no Node: bundle src/browser.ts for the browser and run the
// bundle with `process` hidden, so nothing Node-only can be reached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const bundle = (
  await esbuild.build({
    entryPoints: ['src/browser.ts'],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
).outputFiles[0]!.text;

test('the browser bundle references no Node module', () => {
  for (const nodeOnly of ['node:', '@grpc/grpc-js', 'sodium-native', 'worker_threads']) {
    assert.ok(!bundle.includes(`"${nodeOnly}`), `bundle mentions ${nodeOnly}`);
  }
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
