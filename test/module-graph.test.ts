// What `import 'k8s-enc'` loads: the codec only. gRPC (KMS plugins, live etcd) and worker threads
// (scans) load on first use, so their modules may reach them only through a dynamic import or
// src/node-only.ts's nodeBuiltin. test/package.test.ts checks the same on the installed package;
// this finds the import that breaks it, in seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as esbuild from 'esbuild';

test('src/index.ts reaches @grpc/grpc-js and node:worker_threads through no static import', async () => {
  const r = await esbuild.build({
    entryPoints: ['src/index.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const staticImports = Object.entries(r.metafile.inputs).flatMap(([file, input]) =>
    input.imports
      .filter((i) => i.kind === 'import-statement' && /^(@grpc\/|node:worker_threads$|worker_threads$)/.test(i.path))
      .map((i) => `${file} -> ${i.path}`),
  );
  assert.deepEqual(staticImports, []);
  const dynamic = Object.values(r.metafile.inputs).flatMap((input) =>
    input.imports.filter((i) => i.kind === 'dynamic-import').map((i) => i.path),
  );
  assert.ok(dynamic.includes('@grpc/grpc-js'), 'gRPC is still reachable, on first use');
});
