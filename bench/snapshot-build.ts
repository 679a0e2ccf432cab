/**
 * The snapshot the scan benchmarks read: N Secrets as a kube-apiserver with an aesgcm
 * EncryptionConfiguration stores them, put into a real etcd and saved with `etcdctl snapshot
 * save`. Built once per size and kept under bench/.work/ (gitignored).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createTransformer } from '../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { etcdKeyPrefix } from '../src/etcd/keys.ts';
import { encodeObject } from '../src/storage/encode.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { EtcdWriter, snapshotSave } from '../test/support/etcd-data.ts';
import { startEtcd } from '../test/support/etcd-server.ts';

export const WORK_DIR = new URL('./.work/', import.meta.url).pathname;
/** Puts in flight at once: etcd commits concurrent requests in one raft batch and one fsync. */
const IN_FLIGHT = 256;

export interface BenchSnapshot {
  path: string;
  configPath: string;
  secrets: number;
  /** Sum of the stored (encrypted) value sizes. */
  valueBytes: number;
  buildSeconds: number;
}

/** Deterministic bytes, so every build holds the same objects. */
function bytes(seed: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = x & 0xff;
  }
  return out;
}

function uid(i: number): string {
  const h = bytes(i + 7, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A TLS Secret of a Helm-managed app: about `size` bytes once encoded (certificate grows with it). */
export function secret(i: number, size: number): KubeObject {
  const name = `app-${i}-tls`;
  const namespace = `team-${i % 97}`;
  const certLen = Math.max(16, size - 600);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      namespace,
      uid: uid(i),
      creationTimestamp: `2024-0${1 + (i % 9)}-1${i % 10}T0${i % 10}:1${i % 6}:0${i % 10}Z`,
      labels: { 'app.kubernetes.io/name': `app-${i}`, 'app.kubernetes.io/managed-by': 'Helm', tier: i % 2 === 0 ? 'web' : 'worker' },
      annotations: { 'meta.helm.sh/release-name': `app-${i}`, 'meta.helm.sh/release-namespace': namespace },
    },
    data: {
      'tls.crt': bytes(i, certLen).toString('base64'),
      'tls.key': bytes(i + 1e9, 180).toString('base64'),
      'ca.crt': bytes(i + 2e9, 80).toString('base64'),
    },
    type: 'kubernetes.io/tls',
  };
}

function configText(): string {
  const key = bytes(42, 32).toString('base64');
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    `            - {name: key1, secret: ${key}}`,
    '      - identity: {}',
    '',
  ].join('\n');
}

/** The cached snapshot of `secrets` Secrets of about `size` bytes each, built if missing. */
export async function benchSnapshot(
  secrets: number,
  size: number,
  log: (s: string) => void,
  opts: { etcdArgs?: string[] } = {},
): Promise<BenchSnapshot> {
  mkdirSync(WORK_DIR, { recursive: true });
  const base = `${WORK_DIR}secrets-${secrets}x${size}`;
  const metaPath = `${base}.json`;
  if (existsSync(metaPath) && existsSync(`${base}.db`)) return JSON.parse(readFileSync(metaPath, 'utf8')) as BenchSnapshot;

  const configPath = `${WORK_DIR}encryption-config.yaml`;
  writeFileSync(configPath, configText(), { mode: 0o600 });
  const transformer = createTransformer(parseEncryptionConfig(configText()), 'secrets');
  const started = performance.now();
  log(`building ${base}.db: ${secrets} Secrets of ~${size} bytes into a real etcd`);
  const etcd = await startEtcd({ extraArgs: opts.etcdArgs ?? [] });
  const writer = await EtcdWriter.connect(etcd.endpoint);
  let valueBytes = 0;
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < secrets) {
        const i = next++;
        const obj = secret(i, size);
        const meta = obj.metadata as { name: string; namespace: string };
        const key = etcdKeyPrefix('secrets', meta);
        const value = await transformer.toStorage(encodeObject(obj), key);
        valueBytes += value.length;
        await writer.put(key, value);
        if (i % Math.max(1000, Math.round(secrets / 5)) === 0 && i > 0)
          log(`  ${i} put, ${((performance.now() - started) / 1000).toFixed(0)} s`);
      }
    };
    // Big values: fewer at once, so that each put meets its 10 s deadline on a busy machine.
    await Promise.all(Array.from({ length: size > 16 << 10 ? IN_FLIGHT / 8 : IN_FLIGHT }, worker));
    await snapshotSave(etcd.endpoint, `${base}.db.tmp`);
    renameSync(`${base}.db.tmp`, `${base}.db`);
  } finally {
    writer.close();
    await etcd.stop();
  }
  const snap: BenchSnapshot = {
    path: `${base}.db`,
    configPath,
    secrets,
    valueBytes,
    buildSeconds: Math.round((performance.now() - started) / 100) / 10,
  };
  writeFileSync(metaPath, JSON.stringify(snap, null, 1) + '\n');
  log(`built in ${snap.buildSeconds} s`);
  return snap;
}
