/**
 * Starting a worker thread whose entry is a sibling module, from the built package (`.js`) or from
 * source (`.ts`: tests, bench). From source the worker must register tsx itself: Node 20 does not
 * carry the main thread's loader hooks into workers.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** A worker running the sibling module `name` (no extension) of the module at `metaUrl`. */
export function startSiblingWorker(metaUrl: string, name: string, options: WorkerOptions): Worker {
  if (!metaUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, metaUrl), options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL(`./${name}.ts`, metaUrl).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
