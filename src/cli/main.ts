/** The `k8s-enc` command: dispatch, exit codes, and the process's stdin/stdout/stderr. */
import { once } from 'node:events';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { K8sEncError } from '../errors.ts';
import { HelpRequested, UsageError } from './args.ts';
import { HELP } from './help.ts';
import { printable } from './printable.ts';
import { describeErrno } from './errno.ts';
import { EXIT_ERROR, EXIT_OK, EXIT_USAGE, type CliIo } from './io.ts';
import { earlyScanWorkers, type CommandContext } from './scan-early.ts';

export type { CliIo, Output } from './io.ts';

type Command = (argv: string[], io: CliIo, ctx: CommandContext) => Promise<number>;

// Loaded on use: `keygen` should not pay for protobuf, gRPC and the etcd reader.
const COMMANDS: Record<string, () => Promise<Command>> = {
  get: async () => (await import('./commands/get.ts')).getCommand,
  verify: async () => (await import('./commands/verify.ts')).verifyCommand,
  decrypt: async () => (await import('./commands/decrypt.ts')).decryptCommand,
  encrypt: async () => (await import('./commands/encrypt.ts')).encryptCommand,
  inspect: async () => (await import('./commands/inspect.ts')).inspectCommand,
  keygen: async () => (await import('./commands/keygen.ts')).keygenCommand,
  rewrite: async () => (await import('./commands/rewrite.ts')).rewriteCommand,
};

async function usage(io: CliIo, command: string | undefined, message: string): Promise<number> {
  const help = command === undefined ? 'k8s-enc --help' : `k8s-enc ${command} --help`;
  await io.stderr.write(`error: ${printable(message)}\nSee '${help}' for usage.\n`);
  return EXIT_USAGE;
}

/** Damage in a snapshot stops get/verify; --salvage would read what is still intact. */
function salvageHint(command: string, e: K8sEncError): string {
  if ((command !== 'get' && command !== 'verify') || (e.code !== 'ERR_BBOLT_CORRUPT' && e.code !== 'ERR_SNAPSHOT_HASH')) return '';
  return 'hint: the snapshot is damaged; --salvage recovers every value that is still intact\n';
}

/** Runs one command line (without `node` and the script) and returns its exit code; never throws. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && HELP[topic] === undefined) return usage(io, undefined, `unknown command ${JSON.stringify(topic)}`);
    await (name === undefined ? io.stderr : io.stdout).write(HELP[topic ?? 'main']!);
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const load = COMMANDS[name];
  if (!load) return usage(io, undefined, `unknown command ${JSON.stringify(name)}`);
  const early = earlyScanWorkers(name, rest);
  try {
    return await (await load())(rest, io, { early });
  } catch (e) {
    if (e instanceof HelpRequested) {
      await io.stdout.write(HELP[e.command]!);
      return EXIT_OK;
    }
    if (e instanceof UsageError) return usage(io, e.command, e.message);
    if (e instanceof K8sEncError) {
      if (e.code === 'ERR_USAGE') return usage(io, name, e.message);
      await io.stderr.write(`error: ${printable(e.describe())}\n${salvageHint(name, e)}`);
      return EXIT_ERROR;
    }
    await io.stderr.write(`error: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT_ERROR;
  } finally {
    await early?.close(); // those the command did not take (an error before its scan)
  }
}

/** A process stream as an Output; a write error (ENOSPC on `> /dev/full`) fails the next write, and `failure()` tells. */
function streamOutput(stream: NodeJS.WriteStream, name: string): CliIo['stdout'] & { failure(): K8sEncError | undefined } {
  let failed: K8sEncError | undefined;
  const failedOnce = new Promise<never>((_, reject) => {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      failed ??= new K8sEncError('ERR_IO', `cannot write to ${name}: ${describeErrno(e)}`, { cause: e });
      reject(failed);
    });
  });
  failedOnce.catch(() => {});
  return {
    async write(chunk) {
      if (failed) throw failed;
      // Respect back-pressure so a large scan streams instead of piling up in memory.
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failedOnce]);
    },
    failure: () => failed,
  };
}

async function readAll(stream: NodeJS.ReadStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  // `k8s-enc get … | head` closes the pipe early: that is a normal end, not a crash.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_OK);
  });
  const stdout = streamOutput(process.stdout, 'standard output');
  const io: CliIo = {
    stdout,
    stderr: streamOutput(process.stderr, 'standard error'),
    readStdin: () => readAll(process.stdin),
    stderrIsTTY: process.stderr.isTTY === true,
  };
  let code = await run(argv, io);
  // A synchronous stream (a file, a device) reports a failed last write on the next tick.
  await new Promise((resolve) => setImmediate(resolve));
  const failure = stdout.failure();
  if (failure !== undefined && code !== EXIT_USAGE) {
    if (code !== EXIT_ERROR) process.stderr.write(`error: ${failure.message}\n`);
    code = EXIT_ERROR;
  }
  process.exitCode = code;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

// Not awaited (no top-level await in the library's module graph); main() reports its own errors.
if (isEntryPoint()) void main();
