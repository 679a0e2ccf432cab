/** kubectl-style flag parsing over node:util parseArgs, one option table per command. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { K8sEncError } from '../errors.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** A usage error of one command: exit 2, one line, and a pointer to that command's --help. */
export class UsageError extends K8sEncError {
  readonly command: string;
  constructor(command: string, message: string) {
    super('ERR_USAGE', message);
    this.command = command;
  }
}

/** `--help` on a command: thrown once its flags parse, answered by the dispatcher with that command's help. */
export class HelpRequested extends Error {
  constructor(readonly command: string) {
    super(`help for ${command}`);
  }
}

export const HELP_OPTION: OptionSpec = { help: { type: 'boolean', short: 'h' } };

export const CONFIG_OPTIONS: OptionSpec = {
  'encryption-provider-config': { type: 'string', short: 'c' },
  'etcd-prefix': { type: 'string', default: '/registry' },
  'kms-endpoint': { type: 'string', multiple: true },
};

/** The one-value commands (decrypt, encrypt): the config, the value's etcd key, output and input forms. */
export const VALUE_OPTIONS: OptionSpec = {
  ...CONFIG_OPTIONS,
  'etcd-key': { type: 'string' },
  output: { type: 'string', short: 'o' },
  'input-format': { type: 'string' },
};

export const SOURCE_OPTIONS: OptionSpec = {
  snapshot: { type: 'string' },
  endpoints: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  revision: { type: 'string' },
  'skip-hash-check': { type: 'boolean' },
  salvage: { type: 'boolean' },
};

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

// pflag accepts `-n=default`; parseArgs would read that as the value "=default".
function splitShortEquals(argv: string[]): string[] {
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  const rest = end < 0 ? [] : argv.slice(end);
  return flags
    .flatMap((a) => {
      const m = /^(-[A-Za-z])=(.*)$/s.exec(a);
      return m ? [m[1]!, m[2]!] : [a];
    })
    .concat(rest);
}

export function parseCommandArgs(command: string, argv: string[], options: OptionSpec): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({
      args: splitShortEquals(argv),
      options: { ...HELP_OPTION, ...options },
      allowPositionals: true,
      strict: true,
    }) as Parsed;
  } catch (e) {
    // parseArgs messages name the flag and what was wrong; the tail about '--' is noise here.
    const msg = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, '') : String(e);
    throw new UsageError(command, msg);
  }
  if (parsed.values.help === true) throw new HelpRequested(command);
  return parsed;
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string flag's values, in command-line order. */
export function strs(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function oneOf<T extends string>(command: string, name: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(command, `invalid value ${JSON.stringify(value)} for --${name}: want one of ${allowed.join(', ')}`);
}

export function requireStr(command: string, p: Parsed, name: string, hint = ''): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw new UsageError(command, `--${name} is required${hint}`);
  return v;
}

export function positiveInt(command: string, name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^[1-9][0-9]*$/.test(v) || !Number.isSafeInteger(Number(v))) {
    throw new UsageError(command, `invalid value ${JSON.stringify(v)} for --${name}: want a positive integer`);
  }
  return Number(v);
}
