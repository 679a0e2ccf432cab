/**
 * libsodium through the optional `sodium-native` addon: secretbox at about Go's speed, where the
 * pure backend is 8× slower (bench/README.md). Loaded lazily with `require` so that the library
 * still works where the addon is missing (browsers, platforms without a prebuilt binary).
 */
import { moduleUrl, nodeBuiltin } from '../node-only.ts';

/** The two calls used here; sodium-native ships no TypeScript types. */
export interface SodiumSecretbox {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
}

let loaded: SodiumSecretbox | null | undefined;

/** The addon, or null when it cannot be loaded (the callers then use the configured backend). */
export function loadSodium(): SodiumSecretbox | null {
  if (loaded === undefined) {
    try {
      const here = moduleUrl(import.meta.url);
      loaded = here === undefined ? null : (nodeBuiltin('node:module').createRequire(here)('sodium-native') as SodiumSecretbox);
    } catch {
      loaded = null;
    }
  }
  return loaded;
}
