import { fromUtf8, utf8 } from '../../bytes.ts';
import { keyResource } from '../../etcd/keys.ts';
import { flag, oneOf, parseCommandArgs, str, UsageError, VALUE_OPTIONS } from '../args.ts';
import { connectKmsPlugins } from '../kms.ts';
import { INPUT_FORMATS, parseValueInputs, type ValueInput } from '../../value/input.ts';
import { printable, shown } from '../printable.ts';
import { EXIT_OK, EXIT_SOME_FAILED, type CliIo } from '../io.ts';
import { createObjectWriter, formatObject } from '../object-output.ts';
import { loadConfig, readValueArg } from '../sources.ts';
import { createValueReader, reportError, type ValueReport } from '../../value/reader.ts';

const OPTIONS = { ...VALUE_OPTIONS, 'no-check': { type: 'boolean' } } as const;

/** The etcd key names the resource (so the chain) and is the authenticated data: it is required. */
export function resourceOfKey(command: string, key: string, etcdPrefix: string): string {
  const resource = keyResource(key, etcdPrefix);
  if (resource === null) {
    throw new UsageError(
      command,
      `cannot tell the resource from etcd key ${JSON.stringify(key)}: expected ${etcdPrefix}/<resource>/[<namespace>/]<name> (see --etcd-prefix)`,
    );
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
  const kms = await connectKmsPlugins('decrypt', p, config);
  const inputs = parseValueInputs(await readValueArg('decrypt', p.positionals, io), inputFormat);
  for (const note of new Set(inputs.flatMap((i) => (i.note === undefined ? [] : [i.note])))) await io.stderr.write(`note: ${note}\n`);
  const flagKey = str(p, 'etcd-key');
  if (inputs.length > 1) {
    if (format === 'raw')
      throw new UsageError('decrypt', `-o raw prints one value; the input holds ${inputs.length} keys (use -o yaml or -o json)`);
    if (flagKey !== undefined)
      throw new UsageError('decrypt', `--etcd-key names one key; the input holds ${inputs.length}, each with its own key`);
  }
  const keyOf = (input: ValueInput): Uint8Array => {
    const keyBytes = flagKey !== undefined ? utf8(flagKey) : input.key;
    if (keyBytes === undefined) {
      throw new UsageError(
        'decrypt',
        'the etcd key is needed (it is the authenticated data and picks the chain): pass --etcd-key or etcdctl get output',
      );
    }
    return keyBytes;
  };
  const reader = createValueReader(config, etcdPrefix, kms.options);
  const decode = !(format === 'raw' && flag(p, 'no-check'));
  const reports: ValueReport[] = [];
  try {
    for (const input of inputs) {
      const keyBytes = keyOf(input);
      reports.push(await reader.read(keyBytes, input.value, resourceOfKey('decrypt', fromUtf8(keyBytes), etcdPrefix), { decode }));
    }
  } finally {
    kms.close();
  }
  const staleNote = 'stale: written with a provider or key other than the first configured one; the apiserver would rewrite it';
  if (reports.length === 1) {
    const report = reports[0]!;
    if (report.status === 'error') throw reportError(report);
    if (report.stale) await io.stderr.write(`note: ${staleNote}\n`);
    await io.stdout.write(format === 'raw' ? report.data! : formatObject(report.object!, format as 'yaml' | 'json'));
    return EXIT_OK;
  }
  // `etcdctl get --prefix -w json`: each value in turn, as a List; one that fails does not stop the others.
  const writer = createObjectWriter(io.stdout, format as 'yaml' | 'json', false);
  let failed = 0;
  for (const report of reports) {
    if (report.status === 'error') {
      failed++;
      await io.stderr.write(`error: ${printable(reportError(report).describe())}\n`);
      continue;
    }
    if (report.stale) await io.stderr.write(`note: ${shown(report.key)}: ${staleNote}\n`);
    await writer.item(report.object!);
  }
  await writer.end();
  return failed > 0 ? EXIT_SOME_FAILED : EXIT_OK;
}
