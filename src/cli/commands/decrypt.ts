import { fromUtf8, utf8 } from '../../bytes.ts';
import { keyResource } from '../../etcd/keys.ts';
import { CONFIG_OPTIONS, flag, oneOf, parseCommandArgs, str, UsageError } from '../args.ts';
import { connectKmsPlugins } from '../kms.ts';
import { INPUT_FORMATS, parseValueInput } from '../../value/input.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { formatObject } from '../object-output.ts';
import { loadConfig, readValueArg } from '../sources.ts';
import { createValueReader, reportError, type ValueReport } from '../../value/reader.ts';

const OPTIONS = {
  ...CONFIG_OPTIONS,
  'etcd-key': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'input-format': { type: 'string' },
  'no-check': { type: 'boolean' },
} as const;

/** The etcd key names the resource (so the chain) and is the authenticated data: it is required. */
export function resourceOfKey(command: string, key: string, etcdPrefix: string): string {
  const resource = keyResource(key, etcdPrefix);
  if (resource === null) {
    throw new UsageError(command, `cannot tell the resource from etcd key ${JSON.stringify(key)}: expected ${etcdPrefix}/<resource>/[<namespace>/]<name> (see --etcd-prefix)`);
  }
  return resource;
}

export async function decryptCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('decrypt', argv, OPTIONS);
  const format = oneOf('decrypt', 'output', str(p, 'output'), ['yaml', 'json', 'raw'] as const, 'yaml');
  const inputFormat = oneOf('decrypt', 'input-format', str(p, 'input-format'), INPUT_FORMATS, 'auto');
  const etcdPrefix = str(p, 'etcd-prefix')!;
  const config = await loadConfig('decrypt', p);
  // KMS plugins are connected on first use, so nothing is left open if reading the input fails.
  const kms = connectKmsPlugins('decrypt', p, config);
  const input = parseValueInput(await readValueArg('decrypt', p.positionals, io), inputFormat);
  const flagKey = str(p, 'etcd-key');
  const keyBytes = flagKey !== undefined ? utf8(flagKey) : input.key;
  if (keyBytes === undefined) {
    throw new UsageError('decrypt', 'the etcd key is needed (it is the authenticated data and picks the chain): pass --etcd-key or etcdctl get output');
  }
  const resource = resourceOfKey('decrypt', fromUtf8(keyBytes), etcdPrefix);
  let report: ValueReport;
  try {
    report = await createValueReader(config, etcdPrefix, kms.options).read(keyBytes, input.value, resource, { decode: !(format === 'raw' && flag(p, 'no-check')) });
  } finally {
    kms.close();
  }
  if (report.status === 'error') {
    throw reportError(report);
  }
  if (report.stale) {
    await io.stderr.write('note: stale: written with a provider or key other than the first configured one; the apiserver would rewrite it\n');
  }
  await io.stdout.write(format === 'raw' ? report.data! : formatObject(report.object!, format));
  return EXIT_OK;
}
