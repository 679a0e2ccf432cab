import { K8sEncError } from '../../errors.ts';
import { stringify as toYamlText } from 'yaml';
import { fromUtf8 } from '../../bytes.ts';
import { oneOf, parseCommandArgs, str } from '../args.ts';
import { INPUT_FORMATS, parseValueInput } from '../../value/input.ts';
import { EXIT_OK, type CliIo } from '../io.ts';
import { readValueArg } from '../sources.ts';
import { describeValue } from '../../value/describe.ts';

const OPTIONS = { output: { type: 'string', short: 'o' }, 'input-format': { type: 'string' } } as const;

export async function inspectCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('inspect', argv, OPTIONS);
  const format = oneOf('inspect', 'output', str(p, 'output'), ['yaml', 'json'] as const, 'yaml');
  const inputFormat = oneOf('inspect', 'input-format', str(p, 'input-format'), INPUT_FORMATS, 'auto');
  const input = parseValueInput(await readValueArg('inspect', p.positionals, io), inputFormat);
  if (input.note !== undefined) await io.stderr.write(`note: ${input.note}\n`);
  if (input.value.length === 0) {
    throw new K8sEncError('ERR_INPUT', 'the value is empty: nothing to inspect (the apiserver never stores an empty value)');
  }
  const report = {
    ...(input.key !== undefined && { etcdKey: fromUtf8(input.key) }),
    inputFormat: input.format,
    length: input.value.length,
    ...describeValue(input.value),
  };
  await io.stdout.write(format === 'json' ? JSON.stringify(report, null, 2) + '\n' : toYamlText(report));
  return EXIT_OK;
}
