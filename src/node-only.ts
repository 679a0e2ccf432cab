/**
 * Node built-ins for modules that must also load where there is no Node (browsers, workers).
 *
 * They are fetched with `process.getBuiltinModule` (Node ≥ 20.16) instead of `import`: a static
 * `import 'node:crypto'` would fail to load in a browser and be hoisted into every bundle, and a
 * dynamic one would need top-level await, which breaks `require('k8s-enc')`, esbuild's iife
 * format and ES2020 targets. A call is synchronous and invisible to bundlers.
 */
import { K8sEncError } from './errors.ts';

type Builtins = {
  'node:crypto': typeof import('node:crypto');
  'node:fs': typeof import('node:fs');
  'node:module': typeof import('node:module');
  'node:path': typeof import('node:path');
  'node:url': typeof import('node:url');
  'node:worker_threads': typeof import('node:worker_threads');
};

export const isNode: boolean = typeof process !== 'undefined' && process.versions?.node !== undefined;

/**
 * The built-in module `id`. Call it where the module is used, not at module top level, so that
 * merely loading the caller works outside Node. Outside Node it throws ERR_NODE_ONLY.
 */
export function nodeBuiltin<Id extends keyof Builtins>(id: Id): Builtins[Id] {
  const get = isNode ? process.getBuiltinModule : undefined;
  if (typeof get !== 'function') throw new K8sEncError('ERR_NODE_ONLY', `${id} is only available on Node.js (>= 20.16)`);
  return get(id) as Builtins[Id];
}

/**
 * The URL of the calling module (pass `import.meta.url`), or undefined where a bundler left none:
 * esbuild's CommonJS output turns `import.meta` into `{}`.
 */
export function moduleUrl(metaUrl: string | undefined): string | undefined {
  return typeof metaUrl === 'string' && metaUrl !== '' ? metaUrl : undefined;
}

let crypto: Builtins['node:crypto'] | undefined;

/** node:crypto, fetched once; for the hot paths of the node backend. */
export function nodeCrypto(): Builtins['node:crypto'] {
  return (crypto ??= nodeBuiltin('node:crypto'));
}
