/**
 * Loads the optional native addon (native/k8s_enc_native.c): batch AES for crypto/native.ts, file
 * mappings for the snapshot reader (etcd/bbolt/file.ts). Node-only; null when there is none.
 *
 * Where it comes from: `npm run build:native` (native/build/Release, a checkout's own build) or
 * the prebuilt binary the package ships (prebuilds/<platform>-<arch>/, made by
 * scripts/prebuild-native.js at pack time; linux-x64 glibc only). Anything else — another
 * platform, musl, a bundle that left no module URL — gets null, and callers keep their
 * pure-Node paths. `K8S_ENC_NATIVE=0` turns it off, to compare both paths.
 */
import { moduleUrl, nodeBuiltin } from './node-only.ts';

/** The addon's functions; layouts are described in native/k8s_enc_native.c. */
export interface Addon {
  gcmOpen(key: Uint8Array, bodies: readonly Uint8Array[], ads: readonly Uint8Array[], out: Uint8Array, ok: Uint8Array): void;
  gcmSeal(
    key: Uint8Array,
    nonces: readonly Uint8Array[],
    plaintexts: readonly Uint8Array[],
    ads: readonly Uint8Array[],
    prefix: Uint8Array,
    out: Uint8Array,
  ): void;
  cbcDecrypt(key: Uint8Array, bodies: readonly Uint8Array[], out: Uint8Array): void;
  cbcEncrypt(key: Uint8Array, ivs: readonly Uint8Array[], plaintexts: readonly Uint8Array[], prefix: Uint8Array, out: Uint8Array): void;
  /** A read-only mapping of `length` bytes of the file at `offset` (page-aligned), unmapped when collected. */
  mapFile(fd: number, offset: number, length: number): ArrayBuffer;
  /**
   * Drops pages of a mapping from the process, `ranges` holding (start, length) pairs, page-aligned
   * (they are read again from the page cache on next access).
   */
  dropPages(mapping: ArrayBuffer, ranges: Float64Array): void;
}

/** The addon's places under the package root, in order of preference. */
function addonCandidates(): string[] {
  const { join } = nodeBuiltin('node:path');
  return [
    join('native', 'build', 'Release', 'k8s_enc_native.node'),
    join('prebuilds', `${process.platform}-${process.arch}`, 'k8s_enc_native.node'),
  ];
}

/**
 * The package root is two levels up from src/crypto or dist/crypto, more from a build elsewhere
 * in the tree (bench/.work/dist), so: the nearest ancestor that has one of the candidates.
 */
export function addonPath(): string | undefined {
  const here = moduleUrl(import.meta.url);
  if (here === undefined || !here.startsWith('file:')) return undefined;
  const { dirname, join } = nodeBuiltin('node:path');
  const { existsSync } = nodeBuiltin('node:fs');
  const candidates = addonCandidates();
  for (let dir = dirname(nodeBuiltin('node:url').fileURLToPath(here)); ; dir = dirname(dir)) {
    for (const c of candidates) if (existsSync(join(dir, c))) return join(dir, c);
    if (dirname(dir) === dir) return undefined;
  }
}

let loaded: Addon | null | undefined;

/** The addon, loaded once per thread (each worker thread loads its own). */
export function loadAddon(): Addon | null {
  if (loaded === undefined) {
    loaded = null;
    const path = process.env.K8S_ENC_NATIVE === '0' ? undefined : addonPath();
    if (path !== undefined) {
      try {
        loaded = nodeBuiltin('node:module').createRequire(path)(path) as Addon;
      } catch {
        // A binary this system cannot load (musl, an older glibc, another CPU): node:crypto it is.
      }
    }
  }
  return loaded;
}
