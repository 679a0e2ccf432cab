/**
 * The bulk runs of the issue: 100,000 values of 2 KiB through each provider, read and write, one
 * value at a time vs in batches vs in batches on the worker pool, per backend. Each run checks
 * its outputs, so a fast path that breaks shows up here as an error, not as a good number.
 */
import { equalBytes } from '../src/bytes.ts';
import type { CryptoBackend } from '../src/crypto/backend.ts';
import {
  aesCbcDecryptMany,
  aesCbcEncryptMany,
  aesGcmOpenMany,
  aesGcmSealMany,
  secretboxOpenMany,
  secretboxSealMany,
} from '../src/crypto/batch.ts';
import { loadSodium } from '../src/crypto/batch-sodium.ts';
import { nativeAvailable, setNativeEnabled } from '../src/crypto/native.ts';
import { getBackend } from '../src/crypto/select.ts';
import { mapOrdered } from '../src/cli/map-ordered.ts';
import { createCryptoPool, type CryptoPool } from './crypto-pool/pool.ts';
import { etcdKeys, IV_LENGTH, KEY, plaintexts, prefixOf, PROVIDERS, type Provider } from './inputs.ts';
import { collectGarbage, peakRssMB, type Row } from './results.ts';

const CHUNK = 1024;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

function laxUnpad(r: Uint8Array): Uint8Array {
  const c = r[r.length - 1]!;
  if (c === 0 || c > r.length) throw new Error('bench: bad padding');
  for (let i = r.length - c; i < r.length; i++) if (r[i] !== c) throw new Error('bench: bad padding');
  return r.subarray(0, r.length - c);
}

function pad(p: Uint8Array): Uint8Array {
  const n = 16 - (p.length % 16);
  const out = new Uint8Array(p.length + n).fill(n);
  out.set(p);
  return out;
}

function withPrefix(prefix: Uint8Array, iv: Uint8Array, ct: Uint8Array): Uint8Array {
  const out = new Uint8Array(prefix.length + iv.length + ct.length);
  out.set(prefix);
  out.set(iv, prefix.length);
  out.set(ct, prefix.length + iv.length);
  return out;
}

/** One provider call per value, as a transformer does it. */
function writeOne(b: CryptoBackend, p: Provider, plain: Uint8Array, ad: Uint8Array, prefix: Uint8Array): Uint8Array {
  const iv = b.randomBytes(IV_LENGTH[p]);
  if (p === 'aescbc') return withPrefix(prefix, iv, b.aesCbcEncrypt(KEY, iv, pad(plain)));
  if (p === 'aesgcm') return withPrefix(prefix, iv, b.aesGcmSeal(KEY, iv, plain, ad));
  return withPrefix(prefix, iv, b.secretboxSeal(KEY, iv, plain));
}

function readOne(b: CryptoBackend, p: Provider, stored: Uint8Array, ad: Uint8Array, prefix: Uint8Array): Uint8Array | null {
  const body = stored.subarray(prefix.length);
  const n = IV_LENGTH[p];
  if (p === 'aescbc') return laxUnpad(b.aesCbcDecrypt(KEY, body.subarray(0, n), body.subarray(n)));
  if (p === 'aesgcm') return b.aesGcmOpen(KEY, body.subarray(0, n), body.subarray(n), ad);
  return b.secretboxOpen(KEY, body.subarray(0, n), body.subarray(n));
}

function ivsFor(b: CryptoBackend, p: Provider, count: number): Uint8Array[] {
  const n = IV_LENGTH[p];
  const all = b.randomBytes(n * count);
  return Array.from({ length: count }, (_, i) => all.subarray(i * n, (i + 1) * n));
}

function writeMany(b: CryptoBackend, p: Provider, plain: Uint8Array[], ads: Uint8Array[], prefix: Uint8Array): Uint8Array[] {
  const ivs = ivsFor(b, p, plain.length);
  if (p === 'aescbc') return aesCbcEncryptMany(b, KEY, ivs, plain, prefix);
  if (p === 'aesgcm') return aesGcmSealMany(b, KEY, ivs, plain, ads, prefix);
  return secretboxSealMany(b, KEY, ivs, plain, prefix);
}

function readMany(b: CryptoBackend, p: Provider, stored: Uint8Array[], ads: Uint8Array[], prefix: Uint8Array): (Uint8Array | null)[] {
  const bodies = stored.map((s) => s.subarray(prefix.length));
  if (p === 'aescbc') return aesCbcDecryptMany(b, KEY, bodies).map(laxUnpad);
  if (p === 'aesgcm') return aesGcmOpenMany(b, KEY, bodies, ads);
  return secretboxOpenMany(b, KEY, bodies);
}

async function readPooled(pool: CryptoPool, p: Provider, stored: Uint8Array[][], ads: Uint8Array[][], prefix: Uint8Array) {
  const op = p === 'aescbc' ? 'aescbc-decrypt' : p === 'aesgcm' ? 'aesgcm-open' : 'secretbox-open';
  const out: (Uint8Array | null)[] = [];
  const jobs = stored.map((s, i) => ({ bodies: s.map((x) => x.subarray(prefix.length)), ads: ads[i]! }));
  for await (const r of mapOrdered(
    jobs,
    (j) => pool.run({ op, key: KEY, bodies: j.bodies, ...(p === 'aesgcm' ? { ads: j.ads } : {}) }),
    pool.size * 2,
  )) {
    for (const x of r) out.push(p === 'aescbc' && x !== null ? laxUnpad(x) : x);
  }
  return out;
}

async function writePooled(
  pool: CryptoPool,
  b: CryptoBackend,
  p: Provider,
  plain: Uint8Array[][],
  ads: Uint8Array[][],
  prefix: Uint8Array,
) {
  const op = p === 'aescbc' ? 'aescbc-encrypt' : p === 'aesgcm' ? 'aesgcm-seal' : 'secretbox-seal';
  const out: Uint8Array[] = [];
  const jobs = plain.map((ps, i) => ({ ps, ads: ads[i]! }));
  const run = (j: (typeof jobs)[number]) =>
    pool.run({ op, key: KEY, ivs: ivsFor(b, p, j.ps.length), plaintexts: j.ps, prefix, ...(p === 'aesgcm' ? { ads: j.ads } : {}) });
  for await (const r of mapOrdered(jobs, run, pool.size * 2)) for (const x of r) out.push(x!);
  return out;
}

async function best(reps: number, fn: () => unknown): Promise<number> {
  let min = Infinity;
  for (let r = 0; r < reps; r++) {
    collectGarbage();
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function check(p: Provider, what: string, got: readonly (Uint8Array | null)[], want: readonly Uint8Array[]): void {
  if (got.length !== want.length) throw new Error(`bench ${p} ${what}: ${got.length} results for ${want.length} values`);
  got.forEach((g, i) => {
    if (g === null || !equalBytes(g, want[i]!)) throw new Error(`bench ${p} ${what}: value ${i} differs`);
  });
}

/**
 * `opts.nobleValues`: the pure backend is 10–50× slower, so it runs on the first N values only
 * (its rows say how many) to keep the whole bench within a few minutes.
 */
export async function runBulk(values: number, size: number, opts: { reps: number; nobleValues: number }): Promise<Row[]> {
  const rows: Row[] = [];
  const plain = plaintexts(values, size);
  const ads = etcdKeys(values);
  const plainChunks = chunks(plain);
  const adChunks = chunks(ads);
  const node = getBackend('node');
  const noble = getBackend('noble');
  const pool = await createCryptoPool({ size: 2 });
  const sodium = loadSodium() !== null;
  // With the addon built, the node batch rows take it; the same runs without it are rows of their own.
  const native = nativeAvailable();
  const plainPool = native ? await createCryptoPool({ size: 2, native: false }) : undefined;
  const usesNative = (p: Provider, b: CryptoBackend) => native && p !== 'secretbox' && b.name === 'node';
  const add = (p: Provider, op: string, backend: string, ms: number, n = values) =>
    rows.push({
      name: `bulk ${p} ${op} ${n}×${size}`,
      provider: p,
      op,
      backend,
      values: n,
      bytes: n * size,
      ms: Math.round(ms * 10) / 10,
      rssMB: peakRssMB(),
    });

  try {
    for (const p of PROVIDERS) {
      const prefix = prefixOf(p);
      const stored = writeMany(node, p, plain, ads, prefix);
      const storedChunks = chunks(stored);
      const batchName = (b: CryptoBackend) =>
        p === 'secretbox' && b.name === 'node' && sodium ? 'node+sodium-native' : usesNative(p, b) ? 'node+native' : b.name;
      for (const [b, n] of [
        [node, values],
        [noble, Math.min(values, opts.nobleValues)],
      ] as const) {
        const [ps, as, ss] = [plain.slice(0, n), ads.slice(0, n), stored.slice(0, n)];
        const [pcs, acs, scs] = [chunks(ps), chunks(as), chunks(ss)];
        const singleName = b.name === 'node' && p === 'secretbox' ? 'node (noble secretbox)' : b.name;
        let out: (Uint8Array | null)[] = [];
        add(
          p,
          'encrypt',
          `${singleName} single`,
          await best(opts.reps, () => (out = ps.map((x, i) => writeOne(b, p, x, as[i]!, prefix)))),
          n,
        );
        check(p, 'single write', readMany(node, p, out as Uint8Array[], as, prefix), ps);
        add(
          p,
          'decrypt',
          `${singleName} single`,
          await best(opts.reps, () => (out = ss.map((s, i) => readOne(b, p, s, as[i]!, prefix)))),
          n,
        );
        check(p, 'single read', out, ps);
        add(
          p,
          'encrypt',
          `${batchName(b)} batch`,
          await best(opts.reps, () => (out = pcs.flatMap((c, i) => writeMany(b, p, c, acs[i]!, prefix)))),
          n,
        );
        check(p, 'batch write', readMany(node, p, out as Uint8Array[], as, prefix), ps);
        add(
          p,
          'decrypt',
          `${batchName(b)} batch`,
          await best(opts.reps, () => (out = scs.flatMap((c, i) => readMany(b, p, c, acs[i]!, prefix)))),
          n,
        );
        check(p, 'batch read', out, ps);
        if (b === node) {
          // Go's loop keeps no result (it checks each one's length and drops it), and neither does a
          // scan; the row above keeps all 100,000 (~200 MB) alive. The same batches, dropped as read:
          let length = 0;
          const dropped = () => {
            length = 0;
            for (const [i, c] of scs.entries()) for (const x of readMany(b, p, c, acs[i]!, prefix)) length += x === null ? -1 : x.length;
          };
          add(p, 'decrypt', `${batchName(b)} batch, results dropped per batch`, await best(opts.reps, dropped), n);
          if (length !== n * size) throw new Error(`bench ${p} dropped batch read: ${length} bytes, want ${n * size}`);
        }
        if (usesNative(p, b)) {
          setNativeEnabled(false);
          try {
            add(
              p,
              'encrypt',
              'node batch (no native)',
              await best(opts.reps, () => (out = pcs.flatMap((c, i) => writeMany(b, p, c, acs[i]!, prefix)))),
              n,
            );
            check(p, 'batch write without native', readMany(node, p, out as Uint8Array[], as, prefix), ps);
            add(
              p,
              'decrypt',
              'node batch (no native)',
              await best(opts.reps, () => (out = scs.flatMap((c, i) => readMany(b, p, c, acs[i]!, prefix)))),
              n,
            );
            check(p, 'batch read without native', out, ps);
          } finally {
            setNativeEnabled(true);
          }
        }
      }
      const pooled = `${batchName(node)} batch ×${pool.size} workers`;
      let out: (Uint8Array | null)[] = [];
      add(p, 'encrypt', pooled, await best(opts.reps, async () => (out = await writePooled(pool, node, p, plainChunks, adChunks, prefix))));
      check(p, 'pooled write', readMany(node, p, out as Uint8Array[], ads, prefix), plain);
      add(p, 'decrypt', pooled, await best(opts.reps, async () => (out = await readPooled(pool, p, storedChunks, adChunks, prefix))));
      check(p, 'pooled read', out, plain);
      if (plainPool && usesNative(p, node)) {
        const name = `node batch ×${plainPool.size} workers (no native)`;
        add(
          p,
          'encrypt',
          name,
          await best(opts.reps, async () => (out = await writePooled(plainPool, node, p, plainChunks, adChunks, prefix))),
        );
        check(p, 'pooled write without native', readMany(node, p, out as Uint8Array[], ads, prefix), plain);
        add(p, 'decrypt', name, await best(opts.reps, async () => (out = await readPooled(plainPool, p, storedChunks, adChunks, prefix))));
        check(p, 'pooled read without native', out, plain);
      }
    }
  } finally {
    await pool.close();
    await plainPool?.close();
  }
  return rows;
}
