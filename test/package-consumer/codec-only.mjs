// node codec-only.mjs: what `import('k8s-enc')` loads for codec use, and what a live etcd read adds.
import { createRequire } from 'node:module';

const loaded = () => ({
  grpc: Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes('@grpc')).length,
  workerThreads: process.moduleLoadList.filter((m) => m === 'NativeModule worker_threads').length,
});

const start = performance.now();
const m = await import('k8s-enc');
const importMs = performance.now() - start;
const codec = loaded();
// Something codec-only, to be sure nothing is loaded on first use either.
m.decodeObject(m.encodeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: { a: 'b' } }));
const afterUse = loaded();
// A live etcd read must load gRPC: loopback port 1 has no etcd, so it fails after loading it.
const error = await m.openEndpoints({ endpoints: ['http://127.0.0.1:1'], timeoutMs: 300 }).then(
  () => 'connected?',
  (e) => e.code,
);
process.stdout.write(JSON.stringify({ importMs, codec, afterUse, afterLive: loaded(), error }));
