import { existsSync, readFileSync } from 'node:fs';
import { decodeGoStdBase64 } from '../../src/bytes.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import type { BackendName } from '../../src/crypto/backend.ts';
import type { RandomSource, TransformerOptions } from '../../src/transformers/types.ts';
import { fakeKmsFor, kmsV2ModeFor } from './fake-kms.ts';

/** One element of a vector's `providers` (docs/FORMATS.md#vector-files). */
export interface VectorProvider {
  type: 'identity' | 'aescbc' | 'aesgcm' | 'secretbox' | 'kms';
  keys?: { name: string; secret: string }[];
  apiVersion?: 'v1' | 'v2';
  name?: string;
  cachesize?: number;
  fakeKMS?: {
    algorithm: string;
    kek?: string;
    keks?: Record<string, string>;
    currentKeyID?: string;
    annotations?: Record<string, string>;
  };
  kmsv2State?: {
    keyID: string;
    encryptedDEKSourceType: number;
    encryptedDEKSource: string;
    annotations?: Record<string, string>;
    plaintextDEKSource: string;
  };
  useSeed?: boolean;
}

/** One line of a transformer vector file (docs/FORMATS.md#vector-files); byte fields stay base64 as in the file. */
export interface TransformerVector {
  id: string;
  category: string;
  provider: string;
  description?: string;
  mode: 'chain' | 'identity-default';
  op: 'write+read' | 'read' | 'write';
  providers: VectorProvider[];
  key?: string;
  keyName?: string;
  authenticatedData: string;
  plaintext?: string;
  stored?: string;
  storedOrigin?: string;
  expect: 'ok' | 'error' | 'panic';
  stale?: boolean;
  error?: string;
  errorAlternatives?: string[];
  panic?: string;
  kms?: Record<string, unknown>;
}

/** Repository-root-relative, so tests work from a fresh clone. */
export const VECTOR_DIR = 'vectors/transformers';
/** Too big to copy into the repository; only present next to the shared reference set. */
export const BIG_VECTOR_FILE = '../shared/vectors/transformers/positive_1mib.jsonl';

export function loadVectors(path: string): TransformerVector[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TransformerVector);
}

export function loadOptionalVectors(path: string): TransformerVector[] | null {
  return existsSync(path) ? loadVectors(path) : null;
}

/** Go StdEncoding, as the generator wrote them; a bad field is a broken vector, not a test result. */
export function b64(s: string | undefined): Uint8Array {
  const b = s === undefined ? null : decodeGoStdBase64(s);
  if (b === null) throw new Error(`vector field is not valid base64: ${JSON.stringify(s)}`);
  return b;
}

export function providerConfigs(providers: VectorProvider[]): ProviderConfig[] {
  return providers.map((p): ProviderConfig => {
    switch (p.type) {
      case 'identity':
        return { type: 'identity' };
      case 'aescbc':
      case 'aesgcm':
      case 'secretbox':
        return { type: p.type, keys: (p.keys ?? []).map((k) => ({ name: k.name, secret: b64(k.secret) })) };
      case 'kms': {
        const name = p.name ?? '';
        const apiVersion = p.apiVersion ?? 'v1';
        const base = { type: 'kms' as const, apiVersion, name, endpoint: `unix:///fake-kms/${name}.sock`, timeoutMs: 3000 };
        return apiVersion === 'v1' ? { ...base, cachesize: p.cachesize ?? 1000 } : base;
      }
    }
  });
}

/** Options that connect the vector's fake KMS providers and pick the backend under test. */
export function vectorOptions(v: TransformerVector, backend: BackendName, random?: RandomSource): TransformerOptions {
  const options: TransformerOptions = { backend };
  if (random !== undefined) options.random = random;
  if (v.providers.some((p) => p.type === 'kms')) {
    options.kms = fakeKmsFor(v.providers);
    options.kmsV2Mode = kmsV2ModeFor(v.providers);
  }
  return options;
}
