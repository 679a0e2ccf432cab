/**
 * What a scan can start before its command's modules load: worker threads (scan-worker.ts) load
 * theirs in ~0.1–0.2 s of CPU, which the main thread's own start (its modules, the config, the
 * snapshot's open) leaves a core free for. Light on purpose: main.ts imports it for every command.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { flag, parseCommandArgs, str, UsageError } from './args.ts';
import { SCAN_CHUNK_BYTES } from './chunks.ts';
import { GET_OPTIONS, VERIFY_OPTIONS } from './scan-options.ts';
import { startSiblingWorker } from './worker-thread.ts';

/**
 * Scan threads to use, this one included: `--workers`, else K8S_ENC_WORKERS, else one per core, at
 * most 8 (1 = the single-thread scan). Never more than the cores: extra threads only cost memory
 * (1000 of them took 8.6 GB). Anything but a positive integer is a usage error, not a silent 1.
 */
export function scanWorkerCount(command: string, flag: string | undefined): number {
  const cores = availableParallelism();
  const fromEnv = flag === undefined ? process.env.K8S_ENC_WORKERS : undefined;
  if (flag === undefined && (fromEnv === undefined || fromEnv === '')) return Math.min(8, cores);
  const raw = flag ?? fromEnv!;
  if (!/^[1-9][0-9]*$/.test(raw)) {
    const what = flag === undefined ? 'K8S_ENC_WORKERS' : '--workers';
    throw new UsageError(command, `invalid value ${JSON.stringify(raw)} for ${what}: want a positive whole number of threads`);
  }
  return Math.min(Number(raw), cores);
}

/** A scan worker thread, waiting for its job (scan-worker.ts). */
export function startScanWorker(): Worker {
  // `node --input-type=module -e` (the bench's way in) would be inherited and refuse a file entry.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  try {
    return startSiblingWorker(import.meta.url, 'scan-worker', { execArgv });
  } catch (e) {
    // V8 and process options (`node --max-old-space-size=… k8s-enc`) are refused in workers.
    if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
    return startSiblingWorker(import.meta.url, 'scan-worker', { execArgv: [] });
  }
}

/**
 * A snapshot of `bytes` holds a chunk per lane, so its scan is likely to need all `count` lanes:
 * its workers start at once (here, early, and in scanInWorkers), not as chunks pile up.
 */
export function fillsEveryLane(bytes: number, count: number): boolean {
  return bytes >= count * SCAN_CHUNK_BYTES;
}

/**
 * Scan worker threads started before the scan is set up: a worker loads its modules in ~0.1 s of
 * CPU, which the main thread's own start (config, snapshot open) leaves a core free for. The scan
 * takes them (scanInWorkers' `early`); close() ends those it did not.
 */
export class EarlyWorkers {
  private readonly waiting: Worker[];

  private constructor(count: number) {
    this.waiting = Array.from({ length: count }, startScanWorker);
  }

  /**
   * The count − 1 workers a scan of `snapshot` over `count` threads starts at once (a file of a
   * chunk per thread, see scanInWorkers), or null: no snapshot, one thread, a smaller file.
   */
  static forSnapshot(snapshot: string | undefined, count: number): EarlyWorkers | null {
    if (snapshot === undefined || count < 2) return null;
    let size: number;
    try {
      size = statSync(snapshot).size;
    } catch {
      return null; // the scan's own open says what is wrong
    }
    return fillsEveryLane(size, count) ? new EarlyWorkers(count - 1) : null;
  }

  take(): Worker | undefined {
    return this.waiting.shift();
  }

  async close(): Promise<void> {
    await Promise.all(this.waiting.splice(0).map((w) => w.terminate()));
  }
}

/** What main.ts hands a command besides its arguments: the scan workers it started early. */
export interface CommandContext {
  early?: EarlyWorkers | null;
}

/**
 * The workers `command argv` will scan with, started now; null for anything else or any doubt
 * (bad flags: the command reports them; a salvage, a get by name or to --out: no workers).
 */
export function earlyScanWorkers(command: string | undefined, argv: string[]): EarlyWorkers | null {
  const options = command === 'verify' ? VERIFY_OPTIONS : command === 'get' ? GET_OPTIONS : null;
  if (options === null) return null;
  try {
    const p = parseCommandArgs(command!, argv, options);
    if (flag(p, 'salvage')) return null;
    if (command === 'get' && (p.positionals.length !== 1 || str(p, 'out') !== undefined || !['ndjson', 'name'].includes(str(p, 'output')!)))
      return null;
    return EarlyWorkers.forSnapshot(str(p, 'snapshot'), scanWorkerCount(command!, str(p, 'workers')));
  } catch {
    return null;
  }
}
