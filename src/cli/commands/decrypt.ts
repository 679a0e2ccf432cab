import { fromUtf8, utf8 } from '../../bytes.ts';
import { parseEtcdKey } from '../../etcd/keys.ts';
import { oneOf, parseCommandArgs, str, UsageError, VALUE_OPTIONS } from '../args.ts';
import { connectKmsPlugins } from '../kms.ts';
import { INPUT_FORMATS, parseValueInput } from '../../value/input.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { formatObject } from '../object-output.ts';
import { loadConfig, readValueArg } from '../sources.ts';
import { createValueReader, reportError, type ValueReport } from '../../value/reader.ts';

/** The etcd key names the resource (so the chain) and is the authenticated data: it is required. */
export function resourceOfKey(command: string, key: string, etcdPrefix: string): string {
  const parsed = parseEtcdKey(key, etcdPrefix);
  if (!parsed) {
    throw new UsageError(command, `cannot tell the resource from etcd key ${JSON.stringify(key)}: expected ${etcdPrefix}/<resource>/[<namespace>/]<name> (see --etcd-prefix)`);
  }
  return parsed.resource;
}

export async function decryptCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('decrypt', argv, VALUE_OPTIONS);
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
    report = await createValueReader(config, etcdPrefix, kms.options).read(keyBytes, input.value, resource, { decode: format !== 'raw' });
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
