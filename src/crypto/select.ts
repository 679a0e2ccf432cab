import type { BackendName, CryptoBackend } from './backend.ts';
import { nobleBackend } from './noble.ts';
import { nodeBackend } from './node.ts';
import { isNode } from '../node-only.ts';
import { K8sEncError } from '../errors.ts';

/**
 * The crypto backend for `name`, or the fastest one of this runtime: OpenSSL through node:crypto
 * on Node.js, the pure-JavaScript `noble` backend elsewhere (browsers, Deno without Node
 * compatibility, workers). Both produce identical bytes (every vector runs against each).
 *
 * @throws K8sEncError `ERR_NODE_ONLY` when `name` is `'node'` outside Node.js.
 * @example
 * ```ts
 * getBackend().name; // 'node' on Node.js, 'noble' in a browser
 * ```
 */
export function getBackend(name?: BackendName): CryptoBackend {
  if (name === 'noble') return nobleBackend;
  if (isNode) return nodeBackend;
  if (name === 'node') throw new K8sEncError('ERR_NODE_ONLY', 'the node crypto backend is only available on Node.js');
  return nobleBackend;
}

/** A backend given by name (see getBackend) or as the backend itself; undefined picks the default. */
export function resolveBackend(backend?: BackendName | CryptoBackend): CryptoBackend {
  return typeof backend === 'object' ? backend : getBackend(backend);
}

/** Every backend available in this runtime, for test suites that run each one. */
export function availableBackends(): CryptoBackend[] {
  return isNode ? [nodeBackend, nobleBackend] : [nobleBackend];
}
