/** Where the command line reads and writes; injectable so tests run commands in-process. */
export interface Output {
  write(chunk: string | Uint8Array): void | Promise<void>;
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
