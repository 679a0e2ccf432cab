/**
 * Builds vectors/salvage/: a real etcd snapshot with a multi-level `key` bucket (about twenty leaf
 * pages), values under aesgcm, aescbc, secretbox and identity, several revisions per key, deletes
 * and one value big enough for overflow pages. Salvage tests and the snapshot fuzz targets damage
 * copies of it, so they run without etcd.
 *
 *   npx tsx scripts/make-salvage-snapshot.ts
 *
 * history.json records every put and delete with the revision etcd gave it, the provider it was
 * written with, the object's `generation` label and the stored value's size.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createTransformer } from '../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import type { EncryptionConfig, ProviderConfig } from '../src/config/types.ts';
import { etcdKeyPrefix } from '../src/etcd/keys.ts';
import { encodeObject } from '../src/storage/encode.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { EtcdWriter, snapshotSave } from '../test/support/etcd-data.ts';
import { startEtcd } from '../test/support/etcd-server.ts';

const DIR = 'vectors/salvage';
const PROVIDERS = ['aesgcm', 'aescbc', 'secretbox', 'identity'] as const;
type Provider = (typeof PROVIDERS)[number];

export type HistoryEntry =
  | { revision: number; op: 'put'; key: string; writtenWith: Provider; generation: number; bytes: number }
  | { revision: number; op: 'delete'; key: string };

/** A fixed pseudo-random sequence, so re-running gives the same objects (IVs still differ). */
let seed = 20261206;
function next(n: number): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
}

function filler(len: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  while (s.length < len) s += alphabet[next(alphabet.length)];
  return s;
}

/** The configuration with `first` moved to the front: what the apiserver wrote with at that time. */
function writingWith(config: EncryptionConfig, first: Provider): EncryptionConfig {
  const front = (ps: ProviderConfig[]) => [...ps.filter((p) => p.type === first), ...ps.filter((p) => p.type !== first)];
  return { ...config, resources: config.resources.map((r) => ({ ...r, providers: front(r.providers) })) };
}

function object(resource: 'secrets' | 'configmaps', namespace: string, name: string, generation: number, size: number): KubeObject {
  const metadata = {
    name,
    namespace,
    uid: `00000000-0000-4000-8000-${String(next(1e12)).padStart(12, '0')}`,
    creationTimestamp: '2026-01-02T03:04:05Z',
    labels: { generation: String(generation) },
  };
  if (resource === 'configmaps') return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { 'config.txt': filler(size) } };
  return { apiVersion: 'v1', kind: 'Secret', metadata, type: 'Opaque', data: { token: Buffer.from(filler(size)).toString('base64') } };
}

async function main(): Promise<void> {
  const config = parseEncryptionConfig(await readFile(`${DIR}/encryption-config.yaml`), `${DIR}/encryption-config.yaml`);
  const etcd = await startEtcd();
  const writer = await EtcdWriter.connect(etcd.endpoint);
  const history: HistoryEntry[] = [];
  const put = async (resource: 'secrets' | 'configmaps', namespace: string, name: string, generation: number, size: number) => {
    const key = etcdKeyPrefix(resource, { namespace, name });
    const writtenWith = PROVIDERS[next(PROVIDERS.length)]!;
    const obj = object(resource, namespace, name, generation, size);
    const plain = encodeObject(obj);
    const value =
      writtenWith === 'identity' ? plain : await createTransformer(writingWith(config, writtenWith), resource).toStorage(plain, key);
    history.push({ revision: await writer.put(key, value), op: 'put', key, writtenWith, generation, bytes: value.length });
  };
  const del = async (resource: string, namespace: string, name: string) => {
    const key = etcdKeyPrefix(resource, { namespace, name });
    history.push({ revision: (await writer.del(key)).revision, op: 'delete', key });
  };
  try {
    const names: ['secrets' | 'configmaps', string, string][] = [];
    for (const ns of ['default', 'kube-system', 'team-a', 'team-b']) {
      for (let i = 0; i < 9; i++) names.push(['secrets', ns, `secret-${i}`]);
      for (let i = 0; i < 3; i++) names.push(['configmaps', ns, `config-${i}`]);
    }
    for (let generation = 1; generation <= 3; generation++) {
      for (const [resource, ns, name] of names) {
        if (generation > 1 && next(3) === 0) continue; // not every key gets every update
        await put(resource, ns, name, generation, 120 + next(700));
      }
      if (generation === 1) await put('secrets', 'default', 'big-certificate-bundle', 1, 9000);
      if (generation === 2) {
        await del('secrets', 'team-a', 'secret-4');
        await del('configmaps', 'team-b', 'config-1');
      }
    }
    await del('secrets', 'kube-system', 'secret-7');
    await rm(`${DIR}/snapshot.db`, { force: true });
    await snapshotSave(etcd.endpoint, `${DIR}/snapshot.db`);
  } finally {
    writer.close();
    await etcd.stop();
  }
  await writeFile(`${DIR}/history.json`, '[\n' + history.map((h) => JSON.stringify(h)).join(',\n') + '\n]\n');
  process.stdout.write(`wrote ${DIR}/snapshot.db and ${DIR}/history.json (${history.length} revisions)\n`);
}

await main();
