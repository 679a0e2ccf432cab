/**
 * A small pool of worker threads running batch crypto (batch.ts) off the main thread, for bulk
 * reads and writes on Node. Bounded: at most `maxPending` jobs are queued or running, and
 * `run` waits for room before it copies a job's bytes, so a fast producer cannot buffer without
 * limit. `mapOrdered` turns a stream of batches into a stream of results in the same order.
 *
 * worker_threads is imported lazily so the library stays importable in browsers.
 */
import type { Worker } from 'node:worker_threads';
import type { BackendName } from './backend.ts';
import type { BatchJob } from './workers-jobs.ts';
import { pack, transferables, unpack } from './workers-packed.ts';
import type { JobMessage, ResultMessage } from './workers-thread.ts';

export type { BatchJob, BatchOp } from './workers-jobs.ts';

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

const fromSource = import.meta.url.endsWith('.ts');

/**
 * Compiled output ships workers-thread.js next to this file. Run from source (tests, bench), the
 * worker must register tsx itself: Node 20 does not carry the main thread's loader hooks into
 * workers.
 */
function startWorker(WorkerClass: typeof Worker, backend: BackendName | undefined, native: boolean): Worker {
  const workerData = { backend };
  const env = native ? process.env : { ...process.env, K8S_ENC_NATIVE: '0' };
  if (!fromSource) return new WorkerClass(new URL('./workers-thread.js', import.meta.url), { workerData, env });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./workers-thread.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); })`;
  return new WorkerClass(boot, { eval: true, workerData, env });
}

export async function createCryptoPool(options: CryptoPoolOptions = {}): Promise<CryptoPool> {
  const { Worker } = await import('node:worker_threads');
  const os = await import('node:os');
  const size = Math.max(1, options.size ?? Math.min(4, os.availableParallelism()));
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
    const w = startWorker(Worker, options.backend, options.native ?? true);
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

/**
 * Applies `fn` to each item with at most `concurrency` calls in flight and yields the results in
 * the items' order: the pipeline shape for scans (batches of pages in, decrypted batches out).
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  try {
    for await (const item of items) {
      const p = fn(item);
      // A rejection is reported when its turn comes; until then it must not count as unhandled.
      p.catch(() => {});
      inFlight.push(p);
      if (inFlight.length >= concurrency) yield await inFlight.shift()!;
    }
    while (inFlight.length > 0) yield await inFlight.shift()!;
  } finally {
    inFlight.length = 0;
  }
}
