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
    throw new K8sEncError(
      'ERR_INPUT',
      'input is not a Kubernetes object (apiVersion and kind); pass --input-format raw to store bytes as they are',
    );
  }
  // The apiserver clears these before it encodes (docs/FORMATS.md#values-in-etcd).
  const meta = (o.metadata ?? {}) as Record<string, unknown>;
  delete meta.resourceVersion;
  delete meta.selfLink;
  return { ...(o as KubeObject), metadata: meta };
}

/**
 * A v1 Secret's `stringData` never reaches etcd: the apiserver's v1 → internal conversion writes
 * each entry into `data` (UTF-8, replacing a `data` entry of the same key) and drops the field.
 * Returns the object as stored, and whether it had any.
 */
function mergeStringData(obj: KubeObject): { obj: KubeObject; merged: number } {
  if (obj.apiVersion !== 'v1' || obj.kind !== 'Secret' || !('stringData' in obj)) return { obj, merged: 0 };
  const { stringData, ...rest } = obj as KubeObject & { stringData?: unknown };
  if (stringData === null || stringData === undefined) return { obj: rest as KubeObject, merged: 0 };
  if (typeof stringData !== 'object' || Array.isArray(stringData)) {
    throw new K8sEncError('ERR_INPUT', 'Secret.stringData must be a map of strings');
  }
  const entries = Object.entries(stringData as Record<string, unknown>);
  const data: Record<string, unknown> = { ...((rest as { data?: Record<string, unknown> }).data ?? {}) };
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw new K8sEncError('ERR_INPUT', `Secret.stringData[${JSON.stringify(k)}] must be a string`);
    data[k] = toBase64(utf8(v));
  }
  return { obj: { ...rest, data } as KubeObject, merged: entries.length };
}

export async function encryptCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('encrypt', argv, VALUE_OPTIONS);
  const format = oneOf('encrypt', 'output', str(p, 'output'), ['raw', 'base64', 'hex'] as const, 'raw');
  const inputFormat = oneOf('encrypt', 'input-format', str(p, 'input-format'), ['auto', 'raw'] as const, 'auto');
  const key = requireStr('encrypt', p, 'etcd-key', ': it is the authenticated data and picks the chain');
  const resource = resourceOfKey('encrypt', key, str(p, 'etcd-prefix')!);
  const config = await loadConfig('encrypt', p);
  // KMS plugins are connected on first use, so nothing is left open if reading the input fails.
  const kms = await connectKmsPlugins('encrypt', p, config);
  const input = await readValueArg('encrypt', p.positionals, io);
  let plaintext = input;
  if (inputFormat !== 'raw' && !startsWith(input, PROTOBUF_MAGIC)) {
    const { obj, merged } = mergeStringData(parseObject(input));
    if (merged > 0) {
      await io.stderr.write(
        `note: stringData (${merged} entr${merged === 1 ? 'y' : 'ies'}) merged into data, as the apiserver stores a Secret\n`,
      );
    }
    plaintext = encodeObject(obj);
  }
  let stored: Uint8Array;
  try {
    stored = await createTransformer(config, resource, kms.options).toStorage(plaintext, utf8(key));
  } finally {
    kms.close();
  }
  await io.stdout.write(format === 'raw' ? stored : (format === 'hex' ? toHex(stored) : toBase64(stored)) + '\n');
  return EXIT_OK;
}
