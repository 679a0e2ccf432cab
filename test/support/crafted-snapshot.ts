/**
 * A real `etcdctl snapshot save` file holding hand-made keys and values (odd names, escape
 * sequences, colliding names…), written through a real etcd; secrets under aesgcm, the rest
 * identity. For the hardening tests of the CLI.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTransformer } from '../../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../../src/config/parse.ts';
import { encodeObject } from '../../src/storage/encode.ts';
import type { KubeObject } from '../../src/storage/types.ts';
import { EtcdWriter, snapshotSave } from './etcd-data.ts';
import { startEtcd } from './etcd-server.ts';

export const CRAFTED_GCM_KEY = Buffer.alloc(32, 7).toString('base64');
export const CRAFTED_CONFIG = [
  'apiVersion: apiserver.config.k8s.io/v1',
  'kind: EncryptionConfiguration',
  'resources:',
  '  - resources: [secrets]',
  '    providers:',
  `      - aesgcm: {keys: [{name: key1, secret: ${CRAFTED_GCM_KEY}}]}`,
  '      - identity: {}',
  '',
].join('\n');

/** What to store under one key: an object (encoded, encrypted when its resource is) or raw bytes. */
export type CraftedValue = KubeObject | Uint8Array;

export interface CraftedSnapshot {
  dir: string;
  snapshot: string;
  config: string;
  /** `--snapshot FILE -c CONFIG` */
  args: string[];
  remove(): Promise<void>;
}

export function secret(namespace: string, name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid: `uid-${name.slice(0, 20)}`, creationTimestamp: '2024-01-02T03:04:05Z' },
    type: 'Opaque',
    data: { v: Buffer.from(`value of ${name.slice(0, 20)}`).toString('base64') },
    ...extra,
  };
}

/** `compactAtPut`: compact at the revision of that put (0-based), so older revisions are gone. */
export async function craftSnapshot(
  values: [key: string, value: CraftedValue][],
  opts: { compactAtPut?: number } = {},
): Promise<CraftedSnapshot> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-enc-crafted-'));
  const config = join(dir, 'config.yaml');
  await writeFile(config, CRAFTED_CONFIG);
  const parsed = parseEncryptionConfig(CRAFTED_CONFIG, config);
  const etcd = await startEtcd();
  try {
    const writer = await EtcdWriter.connect(etcd.endpoint);
    for (const [i, [key, value]] of values.entries()) {
      let bytes = value instanceof Uint8Array ? value : encodeObject(value);
      const resource = key.split('/')[2] ?? '';
      if (!(value instanceof Uint8Array)) bytes = await createTransformer(parsed, resource).toStorage(bytes, new TextEncoder().encode(key));
      const revision = await writer.put(key, bytes);
      if (i === opts.compactAtPut) await writer.compact(revision);
    }
    writer.close();
    const snapshot = join(dir, 'snapshot.db');
    await snapshotSave(etcd.endpoint, snapshot);
    return { dir, snapshot, config, args: ['--snapshot', snapshot, '-c', config], remove: () => rm(dir, { recursive: true, force: true }) };
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  } finally {
    await etcd.stop();
  }
}
