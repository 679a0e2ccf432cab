/**
 * A small pool of worker threads running batch crypto (src/crypto/batch.ts) off the main thread:
 * the bench's "batch on 2 workers" rows (bench/bulk.ts). Not library code: the CLI's scans use
 * their own workers (src/cli/scan-parallel.ts), which read their own pages instead of having the
 * bytes copied to them. Bounded: at most `maxPending` jobs are queued or running, and `run` waits
 * for room before it copies a job's bytes, so a fast producer cannot buffer without limit.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../../src/cli/worker-thread.ts';
import type { BackendName } from '../../src/crypto/backend.ts';
import type { BatchJob } from './jobs.ts';
import { pack, transferables, unpack } from './packed.ts';
import type { JobMessage, ResultMessage } from './thread.ts';

export type { BatchJob, BatchOp } from './jobs.ts';

export interface CryptoPoolOptions {
  /** Worker threads; default os.availableParallelism(), at most 4. */
  size?: number;
  /** Jobs queued or running at once before `run` waits; default 2 per worker. */
  maxPending?: number;
  backend?: BackendName;
  /** false: workers skip the native addon (K8S_ENC_NATIVE=0 in their env), to compare both paths. */
  native?: boolean;
}

export interface CryptoPool {
  readonly size: number;
  /** Results in the job's order: a value, or null where authentication failed. */
  run(job: BatchJob): Promise<(Uint8Array | null)[]>;
  close(): Promise<void>;
}

interface Pending {
  message: JobMessage;
  transfer: ArrayBuffer[];
  resolve(r: (Uint8Array | null)[]): void;
  reject(e: Error): void;
}

function startWorker(backend: BackendName | undefined, native: boolean): Worker {
  const env = native ? process.env : { ...process.env, K8S_ENC_NATIVE: '0' };
  return startSiblingWorker(import.meta.url, 'thread', { workerData: { backend }, env });
}

export async function createCryptoPool(options: CryptoPoolOptions = {}): Promise<CryptoPool> {
  const size = Math.max(1, options.size ?? Math.min(4, availableParallelism()));
  const maxPending = Math.max(size, options.maxPending ?? 2 * size);

  const workers: Worker[] = [];
  const idle: Worker[] = [];
  const queue: Pending[] = [];
  const running = new Map<number, Pending>();
  const waitingForRoom: (() => void)[] = [];
  let nextId = 0;
  let closed = false;
  let failure: Error | undefined;

  const pendingCount = () => queue.length + running.size;

  function dispatch(): void {
    while (idle.length > 0 && queue.length > 0) {
      const w = idle.pop()!;
      const p = queue.shift()!;
      running.set(p.message.id, p);
      // A busy worker keeps the process alive until its result arrives; idle ones must not.
      w.ref();
      w.postMessage(p.message, p.transfer);
    }
  }

  function settle(w: Worker, m: ResultMessage): void {
    const p = running.get(m.id);
    running.delete(m.id);
    w.unref();
    idle.push(w);
    if (p) {
      if (m.ok) p.resolve(unpack(m.results));
      else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    }
    dispatch();
    waitingForRoom.shift()?.();
  }

  function fail(e: Error): void {
    failure ??= e;
    for (const p of [...queue, ...running.values()]) p.reject(e);
    queue.length = 0;
    running.clear();
    for (const wake of waitingForRoom.splice(0)) wake();
  }

  for (let i = 0; i < size; i++) {
    const w = startWorker(options.backend, options.native ?? true);
    w.on('message', (m: ResultMessage) => settle(w, m));
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => {
      if (!closed) fail(new Error(`crypto worker exited with code ${code}`));
    });
    w.unref();
    workers.push(w);
    idle.push(w);
  }

  return {
    size,
    async run(job) {
      while (!failure && !closed && pendingCount() >= maxPending) await new Promise<void>((r) => waitingForRoom.push(r));
      if (failure) throw failure;
      if (closed) throw new Error('crypto pool is closed');
      const message: JobMessage = { id: nextId++, op: job.op, key: job.key };
      if (job.prefix) message.prefix = job.prefix;
      if (job.bodies) message.bodies = pack(job.bodies);
      if (job.ivs) message.ivs = pack(job.ivs);
      if (job.plaintexts) message.plaintexts = pack(job.plaintexts);
      if (job.ads) message.ads = pack(job.ads);
      const transfer = transferables(message.bodies, message.ivs, message.plaintexts, message.ads);
      return new Promise((resolve, reject) => {
        queue.push({ message, transfer, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      fail(new Error('crypto pool is closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
