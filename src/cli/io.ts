/** Where the command line reads and writes; injectable so tests run commands in-process. */
export interface Output {
  write(chunk: string | Uint8Array): void | Promise<void>;
}

/**
 * Text held back and written to `out` as one piece by `flush`: a scan printed object by object
 * made one write per object (~4 µs each to a file or /dev/null, 0.4 s per 100,000 Secrets).
 */
export class HeldOutput implements Output {
  private parts: string[] = [];

  constructor(private readonly out: Output) {}

  write(chunk: string | Uint8Array): void {
    this.parts.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    const text = this.parts.join('');
    this.parts = [];
    await this.out.write(text);
  }
}

export interface CliIo {
  stdout: Output;
  stderr: Output;
  readStdin(): Promise<Uint8Array>;
  /** Progress bars are drawn only on a terminal. */
  stderrIsTTY: boolean;
}

/**
 * Exit codes: kubectl-like 0/1, 2 for usage, 3 when a scan went through but some values failed
 * (`verify` found values that do not decode, `get` could not read or write some objects).
 */
export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_SOME_FAILED = 3;
export const EXIT_VERIFY_FAILED = EXIT_SOME_FAILED;
