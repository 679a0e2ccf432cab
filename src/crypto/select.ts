import type { BackendName, CryptoBackend } from './backend.ts';
import { nobleBackend } from './noble.ts';
import { importNodeSibling, isNode } from '../node-only.ts';

const nodeBackend: CryptoBackend | undefined = isNode
  ? (await importNodeSibling<typeof import('./node.ts')>(import.meta.url, 'node')).nodeBackend
  : undefined;

/** OpenSSL on Node, the pure backend elsewhere; `name` overrides. */
export function getBackend(name?: BackendName): CryptoBackend {
  if (name === 'noble') return nobleBackend;
  if (nodeBackend) return nodeBackend;
  if (name === 'node') throw new Error('the node crypto backend is only available on Node.js');
  return nobleBackend;
}

/** Every backend available in this runtime, for test suites that run each one. */
export function availableBackends(): CryptoBackend[] {
  return nodeBackend ? [nodeBackend, nobleBackend] : [nobleBackend];
}
