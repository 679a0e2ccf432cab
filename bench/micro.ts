/**
 * benchmark.js micro-benchmarks: each provider × backend × size, encrypt and decrypt, one value
 * per call vs a batch per call. Rows give the mean time of one call and the values it handles.
 */
import Benchmark from 'benchmark';
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
import { availableBackends } from '../src/crypto/select.ts';
import { etcdKeys, IV_LENGTH, KEY, plaintexts, PROVIDERS, type Provider } from './inputs.ts';
import { peakRssMB, type Row } from './results.ts';

/** Values per batch call: 64, fewer for big values so one call stays near 1 MiB. */
const batchOf = (size: number) => Math.max(1, Math.min(64, Math.floor((1 << 20) / size)));

interface Case {
  provider: Provider;
  op: 'encrypt' | 'decrypt';
  backend: string;
  size: number;
  values: number;
  fn: () => unknown;
}

function cases(b: CryptoBackend, p: Provider, size: number): Case[] {
  const n = batchOf(size);
  const plain = plaintexts(n, size);
  const ads = etcdKeys(n);
  const ivLen = IV_LENGTH[p];
  const ivs = plain.map(() => b.randomBytes(ivLen));
  const one = (i: number) => ({ iv: ivs[i]!, p: plain[i]!, ad: ads[i]! });
  const padded = plain.map((x) => {
    const k = 16 - (x.length % 16);
    const out = new Uint8Array(x.length + k).fill(k);
    out.set(x);
    return out;
  });
  const sealOne =
    p === 'aescbc'
      ? () => b.aesCbcEncrypt(KEY, one(0).iv, padded[0]!)
      : p === 'aesgcm'
        ? () => b.aesGcmSeal(KEY, one(0).iv, one(0).p, one(0).ad)
        : () => b.secretboxSeal(KEY, one(0).iv, one(0).p);
  const sealBatch =
    p === 'aescbc'
      ? () => aesCbcEncryptMany(b, KEY, ivs, plain)
      : p === 'aesgcm'
        ? () => aesGcmSealMany(b, KEY, ivs, plain, ads)
        : () => secretboxSealMany(b, KEY, ivs, plain);
  const bodies = sealBatch();
  const body0 = bodies[0]!;
  const openOne =
    p === 'aescbc'
      ? () => b.aesCbcDecrypt(KEY, body0.subarray(0, 16), body0.subarray(16))
      : p === 'aesgcm'
        ? () => b.aesGcmOpen(KEY, body0.subarray(0, 12), body0.subarray(12), ads[0]!)
        : () => b.secretboxOpen(KEY, body0.subarray(0, 24), body0.subarray(24));
  const openBatch =
    p === 'aescbc'
      ? () => aesCbcDecryptMany(b, KEY, bodies)
      : p === 'aesgcm'
        ? () => aesGcmOpenMany(b, KEY, bodies, ads)
        : () => secretboxOpenMany(b, KEY, bodies);
  const batchName = p === 'secretbox' && b.name === 'node' && loadSodium() ? 'node+sodium-native' : b.name;
  const singleName = p === 'secretbox' && b.name === 'node' ? 'node (noble secretbox)' : b.name;
  return [
    { provider: p, op: 'encrypt', backend: `${singleName} single`, size, values: 1, fn: sealOne },
    { provider: p, op: 'decrypt', backend: `${singleName} single`, size, values: 1, fn: openOne },
    { provider: p, op: 'encrypt', backend: `${batchName} batch`, size, values: n, fn: sealBatch },
    { provider: p, op: 'decrypt', backend: `${batchName} batch`, size, values: n, fn: openBatch },
  ];
}

export function runMicro(sizes: readonly number[], maxTime: number): Row[] {
  const rows: Row[] = [];
  for (const b of availableBackends()) {
    for (const p of PROVIDERS) {
      for (const size of sizes) {
        for (const c of cases(b, p, size)) {
          const bench = new Benchmark(`${c.provider} ${c.op} ${c.backend} ${c.size}`, c.fn, { maxTime, minSamples: 5, initCount: 1 });
          bench.run();
          if (bench.error) throw bench.error;
          rows.push({
            name: `micro ${c.provider} ${c.op} ${c.values}×${c.size}`,
            provider: c.provider,
            op: c.op,
            backend: c.backend,
            values: c.values,
            bytes: c.values * c.size,
            ms: Number((bench.stats.mean * 1000).toPrecision(4)),
            rssMB: peakRssMB(),
          });
        }
      }
    }
  }
  return rows;
}
