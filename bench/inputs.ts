/** Deterministic bench inputs: the same formula as bench/go/main.go, so both sides move the same bytes. */
import { utf8 } from '../src/bytes.ts';

export const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
export const SIZES = [256, 2048, 65536, 1 << 20] as const;
export const BULK_VALUES = 100_000;
export const BULK_SIZE = 2048;

export function plaintexts(count: number, size: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => {
    const p = new Uint8Array(size);
    for (let j = 0; j < size; j++) p[j] = (i * 131 + j * 7) & 0xff;
    return p;
  });
}

export function etcdKeys(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => utf8(`/registry/secrets/default/s${i}`));
}

export const PROVIDERS = ['aescbc', 'aesgcm', 'secretbox'] as const;
export type Provider = (typeof PROVIDERS)[number];
export const IV_LENGTH: Record<Provider, number> = { aescbc: 16, aesgcm: 12, secretbox: 24 };
export const prefixOf = (p: Provider) => utf8(`k8s:enc:${p}:v1:key1:`);
