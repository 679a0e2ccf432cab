import { parse as parseYaml } from 'yaml';
import { fromUtf8, startsWith, toBase64, toHex, utf8 } from '../../bytes.ts';
import { createTransformer } from '../../config/create-transformer.ts';
import { K8sEncError } from '../../errors.ts';
import { encodeObject } from '../../storage/encode.ts';
import type { KubeObject } from '../../storage/types.ts';
import { oneOf, parseCommandArgs, requireStr, str, VALUE_OPTIONS } from '../args.ts';
import { connectKmsPlugins } from '../kms.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { loadConfig, readValueArg } from '../sources.ts';
import { resourceOfKey } from './decrypt.ts';

const PROTOBUF_MAGIC = utf8('k8s\x00');

function parseObject(data: Uint8Array): KubeObject {
  let doc: unknown;
  try {
    doc = parseYaml(fromUtf8(data));
  } catch (e) {
    throw new K8sEncError('ERR_INPUT', `input is not YAML or JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  const o = doc as Partial<KubeObject> | null;
  if (typeof o !== 'object' || o === null || typeof o.apiVersion !== 'string' || typeof o.kind !== 'string') {
    throw new K8sEncError('ERR_INPUT', 'input is not a Kubernetes object (apiVersion and kind); pass --input-format raw to store bytes as they are');
  }
  // The apiserver clears these before it encodes (docs/FORMATS.md#values-in-etcd).
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  delete meta.resourceVersion;
  delete meta.selfLink;
  return { ...(o as KubeObject), metadata: meta };
}

export async function encryptCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('encrypt', argv, VALUE_OPTIONS);
  const format = oneOf('encrypt', 'output', str(p, 'output'), ['raw', 'base64', 'hex'] as const, 'raw');
  const inputFormat = oneOf('encrypt', 'input-format', str(p, 'input-format'), ['auto', 'raw'] as const, 'auto');
  const key = requireStr('encrypt', p, 'etcd-key', ': it is the authenticated data and picks the chain');
  const resource = resourceOfKey('encrypt', key, str(p, 'etcd-prefix')!);
  const config = await loadConfig('encrypt', p);
  // KMS plugins are connected on first use, so nothing is left open if reading the input fails.
  const kms = connectKmsPlugins('encrypt', p, config);
  const input = await readValueArg('encrypt', p.positionals, io);
  const plaintext = inputFormat === 'raw' || startsWith(input, PROTOBUF_MAGIC) ? input : encodeObject(parseObject(input));
  let stored: Uint8Array;
  try {
    stored = await createTransformer(config, resource, kms.options).toStorage(plaintext, utf8(key));
  } finally {
    kms.close();
  }
  await io.stdout.write(format === 'raw' ? stored : (format === 'hex' ? toHex(stored) : toBase64(stored)) + '\n');
  return EXIT_OK;
}
