/**
 * The optional OpenSSL batch addon (native/k8s_enc_native.c): AES-GCM and AES-CBC for a whole
 * batch per call with one cipher context, where node:crypto pays ~3 µs per value. Each wrapper
 * sizes one output buffer and hands back views of it, so a batch's results share one allocation.
 * Node-only (loaded from batch-node.ts); absent addon (see native-addon.ts for where it comes
 * from) → null and the callers keep their node:crypto paths.
 */
import { loadAddon, type Addon } from '../native-addon.ts';

let enabled = true;

/** Turns the addon off (or back on) in this thread, to compare both paths in one process (bench, tests). */
export function setNativeEnabled(on: boolean): void {
  enabled = on;
}

/** An invalid key size falls back too, so node:crypto's own error is what callers see. */
function load(key: Uint8Array): Addon | null {
  if (!enabled || (key.length !== 16 && key.length !== 24 && key.length !== 32)) return null;
  return loadAddon();
}

/** True when the addon is loaded and enabled in this thread. */
export function nativeAvailable(): boolean {
  return loadAddon() !== null;
}

/**
 * Output bytes per addon call. Results live in buffers the caller keeps, so every batch writes
 * fresh memory; malloc serves pieces of this size from memory freed by earlier batches, where
 * one buffer of megabytes comes straight from mmap and page-faults on every 4 KiB (2–3× slower).
 */
const PIECE_BYTES = 256 * 1024;

/** Uninitialised memory: the addon writes every byte the views expose. */
function output(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

function part<T>(xs: readonly T[], start: number, end: number): readonly T[] {
  return start === 0 && end === xs.length ? xs : xs.slice(start, end);
}

/**
 * Runs `fill(start, end, out)` over consecutive runs of values whose outputs (`size(i)` bytes
 * each, back to back in `out`) fit one piece, and returns each value's view of its piece. Also
 * the libsodium batch's (batch-node.ts): one allocation per piece rather than per value.
 */
export function piecewise(
  count: number,
  size: (i: number) => number,
  fill: (start: number, end: number, out: Uint8Array) => void,
): Uint8Array[] {
  const results: Uint8Array[] = new Array(count);
  let start = 0;
  while (start < count) {
    let end = start;
    let bytes = 0;
    while (end < count && (end === start || bytes + size(end) <= PIECE_BYTES)) bytes += size(end++);
    const out = output(bytes);
    fill(start, end, out);
    let off = 0;
    for (let i = start; i < end; i++) {
      const n = size(i);
      results[i] = new Uint8Array(out.buffer, out.byteOffset + off, n);
      off += n;
    }
    start = end;
  }
  return results;
}

/**
 * One addon batch of `count` values with `key`: piecewise() over the addon call `fill`; null when
 * the addon is absent (or off, or the key is not an AES key).
 */
function addonBatch(
  key: Uint8Array,
  count: number,
  size: (i: number) => number,
  fill: (addon: Addon, start: number, end: number, out: Uint8Array) => void,
): Uint8Array[] | null {
  const addon = load(key);
  if (addon === null) return null;
  return piecewise(count, size, (start, end, out) => fill(addon, start, end, out));
}

/** As batch.ts's aesGcmOpenMany; null when the addon is absent. */
export function nativeAesGcmOpenMany(
  key: Uint8Array,
  bodies: readonly Uint8Array[],
  ads: readonly Uint8Array[],
): (Uint8Array | null)[] | null {
  const ok = new Uint8Array(bodies.length);
  const plain = addonBatch(
    key,
    bodies.length,
    (i) => Math.max(0, bodies[i]!.length - 28),
    (addon, start, end, out) => addon.gcmOpen(key, part(bodies, start, end), part(ads, start, end), out, ok.subarray(start, end)),
  );
  return plain === null ? null : plain.map((p, i) => (ok[i] === 1 ? p : null));
}

/** As batch.ts's aesGcmSealMany; null when the addon is absent. */
export function nativeAesGcmSealMany(
  key: Uint8Array,
  nonces: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  ads: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] | null {
  return addonBatch(
    key,
    plaintexts.length,
    (i) => prefix.length + 12 + plaintexts[i]!.length + 16,
    (addon, start, end, out) =>
      addon.gcmSeal(key, part(nonces, start, end), part(plaintexts, start, end), part(ads, start, end), prefix, out),
  );
}

/** As batch.ts's aesCbcDecryptMany (raw blocks, no unpadding); null when the addon is absent. */
export function nativeAesCbcDecryptMany(key: Uint8Array, bodies: readonly Uint8Array[]): Uint8Array[] | null {
  return addonBatch(
    key,
    bodies.length,
    (i) => bodies[i]!.length - 16,
    (addon, start, end, out) => addon.cbcDecrypt(key, part(bodies, start, end), out),
  );
}

/** As batch.ts's aesCbcEncryptMany; null when the addon is absent. */
export function nativeAesCbcEncryptMany(
  key: Uint8Array,
  ivs: readonly Uint8Array[],
  plaintexts: readonly Uint8Array[],
  prefix: Uint8Array,
): Uint8Array[] | null {
  return addonBatch(
    key,
    plaintexts.length,
    (i) => prefix.length + 16 + plaintexts[i]!.length + 16 - (plaintexts[i]!.length % 16),
    (addon, start, end, out) => addon.cbcEncrypt(key, part(ivs, start, end), part(plaintexts, start, end), prefix, out),
  );
}
