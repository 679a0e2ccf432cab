/**
 * The scan pipeline over worker threads, for snapshot sources: the main thread runs pass 1 (which
 * keys, where their values lie), then hands each worker chunks of value locations; the workers
 * read those values from their own file handle, decrypt, decode and format them, and send back
 * text. The main thread prints the chunks in key order, with at most two per worker in flight, so
 * memory stays bounded whatever the snapshot size.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { EncryptionConfig } from '../config/types.ts';
import type { ScanPlan, SnapshotSource, ValueLocation } from '../etcd/snapshot.ts';
import { K8sEncError } from '../errors.ts';
import { mapOrdered } from './map-ordered.ts';
import { UsageError } from './args.ts';
import { SCAN_CHUNK, SCAN_CHUNK_BYTES } from './chunks.ts';
import { startSiblingWorker } from './worker-thread.ts';
import { packLocations, toClonedError, type ChunkMessage, type ChunkReply, type ScanJob, type ShareMessage } from './scan-messages.ts';

export type ChunkResult = Extract<ChunkReply, { ok: true }>;

/**
 * Scan workers to use: `--workers`, else K8S_ENC_WORKERS, else one per core, at most 8 (1 = the
 * single-thread scan). Never more than the cores: extra threads only cost memory (1000 of them
 * took 8.6 GB). Anything but a positive integer is a usage error, not a silent 1.
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

/** KMS providers talk to plugins over sockets the main thread holds: those scans stay single-thread. */
export function canScanInWorkers(config: EncryptionConfig): boolean {
  return config.resources.every((r) => r.providers.every((p) => p.type !== 'kms'));
}

function startWorker(job: ScanJob): Worker {
  // `node --input-type=module -e` (the bench's way in) would be inherited and refuse a file entry.
  const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
  return startSiblingWorker(import.meta.url, 'scan-worker', { workerData: job, execArgv });
}

/** Chunks as the single-thread scans cut them (SCAN_CHUNK values, SCAN_CHUNK_BYTES stored bytes); problems first. */
function* chunksOf(problems: K8sEncError[], all: ValueLocation[]): Generator<Omit<ChunkMessage, 'id'>> {
  let from = 0;
  let bytes = 0;
  let first = problems.map(toClonedError);
  for (let i = 0; i < all.length; i++) {
    bytes += all[i]!.error === undefined ? all[i]!.size : 0;
    if (i + 1 - from === SCAN_CHUNK || bytes >= SCAN_CHUNK_BYTES) {
      yield { problems: first, locations: packLocations(all.slice(from, i + 1)) };
      [from, bytes, first] = [i + 1, 0, []];
    }
  }
  if (from < all.length || first.length > 0) yield { problems: first, locations: packLocations(all.slice(from)) };
}

/**
 * The scan's chunk results in key order. The first worker (all of them, for a file big enough)
 * starts while pass 1 runs on the main thread; the others start only when there are chunks for
 * them, so a small scan never starts more threads than it has chunks. Each chunk goes to the worker with the fewest chunks pending.
 */
export async function* scanInWorkers(
  source: SnapshotSource,
  prefix: Uint8Array,
  revision: number | undefined,
  job: ScanJob,
  count: number,
  watch: { onStart?(started: number): void; onTotal?(items: number): void } = {},
): AsyncGenerator<ChunkResult> {
  const workers: Worker[] = [];
  const load: number[] = [];
  const waiting = new Map<number, { worker: number; resolve(r: ChunkResult): void; reject(e: Error): void }>();
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const addWorker = () => {
    const i = workers.length;
    const w = startWorker(job);
    workers.push(w);
    load.push(0);
    w.on('message', (r: ChunkReply) => {
      const p = waiting.get(r.id);
      waiting.delete(r.id);
      load[i]!--;
      if (r.ok) p?.resolve(r);
      else p?.reject(new K8sEncError(r.error.code, r.error.message));
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => fail(new Error(`scan worker exited with code ${code}`)));
    watch.onStart?.(workers.length);
  };
  let nextId = 0;
  const post = (worker: number, body: Omit<ChunkMessage, 'id'> | Omit<ShareMessage, 'id'>, transfer: ArrayBuffer[]) => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    load[worker]!++;
    return new Promise<ChunkResult>((resolve, reject) => {
      waiting.set(id, { worker, resolve, reject });
      workers[worker]!.postMessage({ id, ...body }, transfer);
    });
  };
  const send = (chunk: Omit<ChunkMessage, 'id'>): Promise<ChunkResult> => {
    if (!failure && workers.length < count && Math.min(...load) > 0) addWorker();
    return post(load.indexOf(Math.min(...load)), chunk, [chunk.locations.numbers.buffer as ArrayBuffer]);
  };
  /** Pass 1: in shares, one per worker, when they all run already and the bucket splits; else here. */
  const planned = async (): Promise<ScanPlan> => {
    const wanted = revision === undefined ? {} : { revision };
    const split = workers.length > 1 ? await source.planShares(workers.length, wanted) : null;
    if (split === null) return source.plan(prefix, wanted);
    const asked = split.subtrees.map((subtrees, w) => post(w, { share: { prefix, revision: split.revision, subtrees } }, []));
    return source.mergeShares((await Promise.all(asked)).map((r) => r.share!));
  };
  // A file that holds a chunk per worker is likely to need them all: start them now, so that their
  // start-up (module loading, ~0.1 s each) runs alongside pass 1 rather than after it.
  const early = source.size >= count * SCAN_CHUNK_BYTES ? count : 1;
  for (let i = 0; i < early; i++) addWorker();
  try {
    const plan = await planned();
    watch.onTotal?.(plan.problems.length + plan.locations.length);
    yield* mapOrdered(chunksOf(plan.problems, plan.locations), send, 2 * count);
  } finally {
    failure ??= new Error('scan finished');
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
