// The entry esbuild bundles for Node (esm, cjs) and for browsers (esm, iife): no top-level await,
// no Node API; the captured value and config come in through globalThis.captured.
import { createTransformer, decodeObject, getBackend, parseEncryptionConfig } from 'k8s-enc';

const { key, value, config } = globalThis.captured;
globalThis.result = createTransformer(parseEncryptionConfig(config), 'secrets')
  .fromStorage(Uint8Array.from(value), key)
  .then(({ data }) => ({ backend: getBackend().name, object: decodeObject(data) }));
