/**
 * A one-line progress counter on stderr, drawn only on a terminal and only once a scan has taken
 * more than a second, so pipes, logs and quick runs stay clean.
 */
import type { CliIo } from './io.ts';
import { printable } from './printable.ts';

const DELAY_MS = 1000;
const REDRAW_MS = 200;
const CLEAR_LINE = '\r\x1b[K';

export interface Progress {
  tick(failed?: boolean): void;
  /** How many keys the scan holds, once known (after pass 1): the line then shows N/total and an ETA. */
  setTotal?(total: number): void;
  /** Writes a message to stderr without tearing the progress line. */
  note(line: string): Promise<void>;
  done(): Promise<void>;
}

export function startProgress(io: CliIo, label: string, now: () => number = Date.now): Progress {
  const started = now();
  let count = 0;
  let failed = 0;
  let total: number | undefined;
  let shown = false;
  const draw = () => {
    if (!io.stderrIsTTY || now() - started < DELAY_MS) return;
    const secs = (now() - started) / 1000;
    const rate = Math.round(count / secs);
    const left = total !== undefined && rate > 0 ? `, ETA ${Math.ceil(Math.max(0, total - count) / rate)}s` : '';
    const keys = total === undefined ? `${count} keys` : `${count}/${total} keys`;
    shown = true;
    void io.stderr.write(`${CLEAR_LINE}${label}: ${keys} (${failed} failed), ${secs.toFixed(0)}s, ${rate}/s${left}`);
  };
  const timer = io.stderrIsTTY ? setInterval(draw, REDRAW_MS) : undefined;
  timer?.unref();
  const clear = async () => {
    if (shown) await io.stderr.write(CLEAR_LINE);
    shown = false;
  };
  return {
    tick(isFailure = false) {
      count++;
      if (isFailure) failed++;
    },
    setTotal(n) {
      total = n;
    },
    async note(line) {
      await clear();
      // Notes carry keys and messages from the data: never raw control characters to a terminal.
      const text = printable(line);
      await io.stderr.write(text.endsWith('\n') ? text : text + '\n');
    },
    async done() {
      if (timer) clearInterval(timer);
      await clear();
    },
  };
}
