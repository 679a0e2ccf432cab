import type { CliIo } from '../../src/cli/io.ts';
import { run } from '../../src/cli/main.ts';

export interface CliResult {
  code: number;
  stdout: Uint8Array;
  out: string;
  err: string;
  /** How many writes stdout got. */
  writes: number;
}

/** Runs the CLI in-process with captured stdout/stderr and the given stdin. */
export async function runCli(argv: string[], stdin: Uint8Array | string = new Uint8Array(0)): Promise<CliResult> {
  const out: Uint8Array[] = [];
  const err: string[] = [];
  const enc = new TextEncoder();
  const io: CliIo = {
    stdout: { write: (c) => void out.push(typeof c === 'string' ? enc.encode(c) : Uint8Array.from(c)) },
    stderr: { write: (c) => void err.push(typeof c === 'string' ? c : new TextDecoder().decode(c)) },
    readStdin: async () => (typeof stdin === 'string' ? enc.encode(stdin) : stdin),
    stderrIsTTY: false,
  };
  const code = await run(argv, io);
  const stdout = new Uint8Array(Buffer.concat(out));
  return { code, stdout, out: new TextDecoder().decode(stdout), err: err.join(''), writes: out.length };
}
