/**
 * Keys, configs and values for the `rewrite` tests: Secrets and ConfigMaps encoded as the
 * apiserver stores them, encrypted under single-key configs so a test knows exactly which key
 * wrote each value, and read back with `decryptWith` through the library's read path.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { utf8 } from '../../src/bytes.ts';
import { createTransformer } from '../../src/config/create-transformer.ts';
import { parseEncryptionConfig } from '../../src/config/parse.ts';
import type { EncryptionConfig } from '../../src/config/types.ts';
import { encodeObject } from '../../src/storage/encode.ts';
import type { KubeObject } from '../../src/storage/types.ts';

export const KEYS = {
  key1: randomBytes(32).toString('base64'),
  key2: randomBytes(32).toString('base64'),
  gcm: randomBytes(32).toString('base64'),
};

/** A config file's text: one entry for secrets and configmaps with these provider lines. */
export function configYaml(providers: string[], resources = ['secrets', 'configmaps']): string {
  return `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [${resources.join(', ')}]
    providers:
${providers.map((p) => `      - ${p}\n`).join('')}`;
}

export const aescbc = (...names: ('key1' | 'key2')[]): string =>
  `aescbc: {keys: [${names.map((n) => `{name: ${n}, secret: "${KEYS[n]}"}`).join(', ')}]}`;
export const aesgcm = `aesgcm: {keys: [{name: gcm1, secret: "${KEYS.gcm}"}]}`;
export const identity = 'identity: {}';

export async function writeConfig(dir: string, name: string, text: string): Promise<{ path: string; config: EncryptionConfig }> {
  const path = join(dir, name);
  await writeFile(path, text);
  return { path, config: parseEncryptionConfig(text, path) };
}

export function object(resource: 'secrets' | 'configmaps', namespace: string, name: string, payload: string): KubeObject {
  const metadata = { name, namespace, uid: `uid-${name}`, creationTimestamp: '2024-01-02T03:04:05Z' };
  if (resource === 'configmaps') return { apiVersion: 'v1', kind: 'ConfigMap', metadata, data: { payload } };
  return { apiVersion: 'v1', kind: 'Secret', metadata, data: { payload: Buffer.from(payload).toString('base64') }, type: 'Opaque' };
}

/** The stored bytes of an object (the transformer's plaintext). */
export const stored = (obj: KubeObject): Uint8Array => encodeObject(obj);

export async function encryptWith(config: EncryptionConfig, resource: string, key: string, plain: Uint8Array): Promise<Uint8Array> {
  return createTransformer(config, resource).toStorage(plain, utf8(key));
}

/** The plaintext, or the error text when `config` cannot read the value. */
export async function decryptWith(
  config: EncryptionConfig,
  resource: string,
  key: string,
  value: Uint8Array,
): Promise<Uint8Array | string> {
  try {
    return (await createTransformer(config, resource).fromStorage(value, utf8(key))).data;
  } catch (e) {
    return (e as Error).message;
  }
}
