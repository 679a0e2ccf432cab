/**
 * Builds vectors/sample/: a real etcd seeded with the real Kubernetes 1.8 cluster's Secret
 * `default/mysecret` (its captured etcd value, byte for byte, from vectors/captured/k8s-1.8-aescbc/)
 * plus a few Secrets and ConfigMaps as that cluster's apiserver, configured with
 * vectors/sample/encryption-config.yaml (the captured cluster's `key1`, an older `key2`), would
 * have stored them; saved with `etcdctl snapshot save`.
 *
 *   npx tsx scripts/make-sample-snapshot.ts
 *
 * Added values are written with aescbc key1 (current), key2 (an older key: stale on read) or no
 * encryption (written before encryption was enabled). expected.json records what was written
 * where; for the captured value, the object is the vector's own expected-aescbc.json.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { parseEncryptionConfig } from '../src/config/parse.ts';
import { createTransformer } from '../src/config/create-transformer.ts';
import type { EncryptionConfig } from '../src/config/types.ts';
import { etcdKeyPrefix } from '../src/etcd/keys.ts';
import { encodeObject } from '../src/storage/encode.ts';
import type { KubeObject } from '../src/storage/types.ts';
import { EtcdWriter, snapshotSave } from '../test/support/etcd-data.ts';
import { startEtcd } from '../test/support/etcd-server.ts';

const DIR = 'vectors/sample';
const CAPTURED = 'vectors/captured/k8s-1.8-aescbc';
type WrittenWith = 'key1' | 'key2' | 'plaintext';

/** `etcdctl get` output of the 1.8 cluster: key, newline, value, newline. */
async function capturedSecret(): Promise<{ key: string; value: Uint8Array; object: KubeObject }> {
  const bytes = new Uint8Array(await readFile(`${CAPTURED}/etcdctl-get-aescbc.bin`));
  const nl = bytes.indexOf(10);
  const object = JSON.parse(await readFile(`${CAPTURED}/expected-aescbc.json`, 'utf8')) as KubeObject;
  return { key: new TextDecoder().decode(bytes.subarray(0, nl)), value: bytes.subarray(nl + 1, bytes.length - 1), object };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(
  namespace: string,
  name: string,
  uid: string,
  created: string,
  data: Record<string, string>,
  type = 'Opaque',
  labels?: Record<string, string>,
): KubeObject {
  const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)]));
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, uid, creationTimestamp: created, ...(labels && { labels }) },
    data: encoded,
    type,
  };
}

function configMap(namespace: string, name: string, uid: string, created: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, uid, creationTimestamp: created }, data };
}

const SAMPLE: { resource: 'secrets' | 'configmaps'; object: KubeObject; writtenWith: WrittenWith }[] = [
  {
    resource: 'secrets',
    writtenWith: 'key1',
    object: secret(
      'default',
      'db-credentials',
      '0b6c3c8e-7f34-4b0e-9b0c-2f1f6d1c9a01',
      '2024-05-02T09:14:03Z',
      { username: 'app', password: 'correct horse battery staple' },
      'Opaque',
      { app: 'shop' },
    ),
  },
  {
    resource: 'secrets',
    writtenWith: 'key2',
    object: secret('default', 'api-token', '5d2a7f1e-3c44-4d1b-8a4e-6b7e2c9f0a12', '2023-11-20T16:40:11Z', {
      token: 'tok_3f9a1c77e2b84d0f',
    }),
  },
  {
    resource: 'secrets',
    writtenWith: 'key1',
    object: secret(
      'kube-system',
      'bootstrap-token-abcdef',
      '9e41c2d0-1a5b-4f7e-b3c8-0d6f2e7a8b23',
      '2024-05-01T08:00:00Z',
      { 'token-id': 'abcdef', 'token-secret': '0123456789abcdef', 'usage-bootstrap-authentication': 'true' },
      'bootstrap.kubernetes.io/token',
    ),
  },
  {
    resource: 'secrets',
    writtenWith: 'key2',
    object: secret(
      'team-a',
      'registry-pull',
      'c7f0a9b2-6e1d-4c3a-9f8b-1a2b3c4d5e34',
      '2023-09-07T12:00:00Z',
      { '.dockerconfigjson': '{"auths":{"registry.example.com":{"auth":"dXNlcjpwYXNz"}}}' },
      'kubernetes.io/dockerconfigjson',
    ),
  },
  {
    resource: 'secrets',
    writtenWith: 'plaintext',
    object: secret('team-a', 'legacy-password', '2f8e6d4c-0b1a-4e3f-8d7c-6b5a4f3e2d45', '2022-03-14T07:30:00Z', { password: 'hunter2' }),
  },
  {
    resource: 'configmaps',
    writtenWith: 'key1',
    object: configMap('default', 'shop-config', '8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c56', '2024-05-02T09:14:03Z', {
      LOG_LEVEL: 'info',
      FEATURE_CHECKOUT_V2: 'true',
    }),
  },
  {
    resource: 'configmaps',
    writtenWith: 'key2',
    object: configMap('team-a', 'feature-flags', '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e67', '2023-10-01T00:00:00Z', {
      flags: 'beta=on\nlegacy=off\n',
    }),
  },
  {
    resource: 'configmaps',
    writtenWith: 'plaintext',
    object: configMap('kube-system', 'cluster-info', '3e4f5a6b-7c8d-4e9f-a0b1-c2d3e4f5a678', '2022-03-14T07:00:00Z', {
      kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n',
    }),
  },
];

/** The same configuration with key2 first: what the apiserver wrote with before key1 was added. */
function withKey2First(config: EncryptionConfig): EncryptionConfig {
  return {
    ...config,
    resources: config.resources.map((r) => ({
      ...r,
      providers: r.providers.map((p) => (p.type === 'aescbc' ? { ...p, keys: [...p.keys].reverse() } : p)),
    })),
  };
}

async function main(): Promise<void> {
  const config = parseEncryptionConfig(await readFile(`${DIR}/encryption-config.yaml`), `${DIR}/encryption-config.yaml`);
  const old = withKey2First(config);
  const etcd = await startEtcd();
  const writer = await EtcdWriter.connect(etcd.endpoint);
  const expected: { key: string; resource: string; writtenWith: WrittenWith; source?: string; object: KubeObject }[] = [];
  try {
    const captured = await capturedSecret();
    await writer.put(captured.key, captured.value);
    expected.push({
      key: captured.key,
      resource: 'secrets',
      writtenWith: 'key1',
      source: `${CAPTURED}/etcdctl-get-aescbc.bin`,
      object: captured.object,
    });
    for (const { resource, object, writtenWith } of SAMPLE) {
      const meta = object.metadata as { namespace: string; name: string };
      const key = etcdKeyPrefix(resource, { namespace: meta.namespace, name: meta.name });
      const plaintext = encodeObject(object);
      const value =
        writtenWith === 'plaintext'
          ? plaintext
          : await createTransformer(writtenWith === 'key1' ? config : old, resource).toStorage(plaintext, key);
      await writer.put(key, value);
      expected.push({ key, resource, writtenWith, object });
    }
    await rm(`${DIR}/snapshot.db`, { force: true });
    await snapshotSave(etcd.endpoint, `${DIR}/snapshot.db`);
  } finally {
    writer.close();
    await etcd.stop();
  }
  expected.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  await writeFile(`${DIR}/expected.json`, JSON.stringify(expected, null, 2) + '\n');
  process.stdout.write(`wrote ${DIR}/snapshot.db and ${DIR}/expected.json (${expected.length} objects)\n`);
}

await main();
