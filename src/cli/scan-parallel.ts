/**
 * The scan pipeline over threads, for snapshot sources: pass 1 (which keys, where their values
 * lie) split between the lanes or run here, then chunks of value locations handed to the lanes —
 * this thread and worker threads that read those values from their own file handle, decrypt,
 * decode and format them, and send back text. Chunks are printed in key order, with at most
 * WORKER_QUEUE + 1 per lane in flight, so memory stays bounded whatever the snapshot size.
 */
import type { Worker } from 'node:worker_threads';
import type { EncryptionConfig } from '../config/types.ts';
import type { PlanShare } from '../etcd/plan-shares.ts';
import { packLocations, runsOf, type PackedPlan } from '../etcd/packed-locations.ts';
import type { SnapshotSource } from '../etcd/snapshot.ts';
import { fromClonedError, toClonedError } from '../errors.ts';
import { mapOrdered } from './map-ordered.ts';
import { chunkRunner, type ChunkResult } from './scan-chunk.ts';
import { SCAN_CHUNK, SCAN_CHUNK_BYTES } from './chunks.ts';
import { fillsEveryLane, startScanWorker, type EarlyWorkers } from './scan-early.ts';
import type { ChunkMessage, ChunkReply, JobMessage, ScanJob, ShareMessage } from './scan-messages.ts';

/** KMS providers talk to plugins over sockets the main thread holds: those scans stay single-thread. */
export function canScanInWorkers(config: EncryptionConfig): boolean {
  return config.resources.every((r) => r.providers.every((p) => p.type !== 'kms'));
}

/** Chunks as the single-thread scans cut them (SCAN_CHUNK values, SCAN_CHUNK_BYTES stored bytes); problems first. */
function* chunksOf(plan: PackedPlan): Generator<Omit<ChunkMessage, 'id'>> {
  let problems = plan.problems.map(toClonedError);
  for (const locations of runsOf(plan.locations, SCAN_CHUNK, SCAN_CHUNK_BYTES)) {
    yield { problems, locations };
    problems = [];
  }
  if (problems.length > 0) yield { problems, locations: packLocations([]) };
}

/** Shares of pass 1 per lane: enough that the lanes finish together, few enough to merge cheaply. */
const SHARES_PER_LANE = 4;

/** Chunks a worker thread gets ahead of its work. */
const WORKER_QUEUE = 2;

/**
 * The scan's chunk results in key order, over `count` lanes: the main thread's own (it has every
 * module loaded already, where a worker thread's start-up costs ~0.15 s of CPU) and count − 1
 * worker threads. For a file big enough to need them all, the workers start at once and pass 1
 * is split between all lanes (planShares); otherwise pass 1 runs here and a worker starts only
 * when every lane has a chunk pending, so a small scan starts no more threads than it has chunks.
 * Each chunk goes to the lane with the fewest chunks pending.
 */
export async function* scanInWorkers(
  source: SnapshotSource,
  prefix: Uint8Array,
  revision: number | undefined,
  job: ScanJob,
  count: number,
  watch: { onStart?(started: number): void; onTotal?(items: number): void; early?: EarlyWorkers | null } = {},
): AsyncGenerator<ChunkResult> {
  const lanes: (Worker | null)[] = [null]; // null: this thread
  const load: number[] = [0];
  const local = chunkRunner(job);
  const waiting = new Map<number, { resolve(r: ChunkResult): void; reject(e: Error): void }>();
  let failure: Error | undefined;
  const fail = (e: Error) => {
    failure ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const addWorker = () => {
    const i = lanes.length;
    const w = watch.early?.take() ?? startScanWorker();
    w.postMessage({ job } satisfies JobMessage);
    lanes.push(w);
    load.push(0);
    w.on('message', (r: ChunkReply) => {
      const p = waiting.get(r.id);
      waiting.delete(r.id);
      load[i]!--;
      if (r.ok) p?.resolve(r);
      else p?.reject(fromClonedError(r.error));
    });
    w.on('error', (e) => fail(e));
    w.on('exit', (code) => fail(new Error(`scan worker exited with code ${code}`)));
    watch.onStart?.(lanes.length - 1);
  };
  let nextId = 0;
  const post = (lane: number, body: Omit<ChunkMessage, 'id'> | Omit<ShareMessage, 'id'>, transfer: ArrayBuffer[]) => {
    if (failure) return Promise.reject(failure);
    const id = nextId++;
    load[lane]!++;
    const worker = lanes[lane];
    if (worker === null) {
      // After the current turn, so that messages to the workers go out before this lane's work.
      const turn = new Promise<void>((resolve) => setImmediate(resolve));
      return turn.then(() => local(source, { id, ...body } as ChunkMessage | ShareMessage)).finally(() => load[lane]!--);
    }
    return new Promise<ChunkResult>((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      worker!.postMessage({ id, ...body }, transfer);
    });
  };
  const send = (chunk: Omit<ChunkMessage, 'id'>): Promise<ChunkResult> => {
    if (!failure && lanes.length < count && Math.min(...load) > 0) addWorker();
    // A worker with fewer than WORKER_QUEUE chunks first: while this thread runs a chunk of its
    // own it cannot hand out more, and a worker with none left would wait.
    let lane = 0;
    for (let w = 1; w < lanes.length; w++) if (load[w]! < WORKER_QUEUE && (lane === 0 || load[w]! < load[lane]!)) lane = w;
    if (lane === 0) lane = load.indexOf(Math.min(...load));
    return post(lane, chunk, [chunk.locations.numbers.buffer as ArrayBuffer]);
  };
  /**
   * Pass 1: in shares when the workers run already and the bucket splits; else here. Each lane
   * asks for the next share when done with its last: this thread starts at once, a worker only
   * once its modules are loaded, so equal halves left this thread idle (~0.1 s of 1.3).
   */
  const planned = async (): Promise<PackedPlan> => {
    const wanted = revision === undefined ? {} : { revision };
    const split = lanes.length > 1 ? await source.planShares(lanes.length * SHARES_PER_LANE, wanted) : null;
    if (split === null) {
      const plan = await source.plan(prefix, wanted);
      return { problems: plan.problems, locations: packLocations(plan.locations) };
    }
    const shares: PlanShare[] = [];
    let next = 0;
    const lane = async (w: number) => {
      for (let i = next++; i < split.subtrees.length; i = next++) {
        const share = { prefix, revision: split.revision, subtrees: split.subtrees[i]! };
        shares[i] = (await post(w, { share }, [])).share!;
      }
    };
    await Promise.all(lanes.map((_, w) => lane(w)));
    return source.mergeShares(shares);
  };
  // A file that holds a chunk per lane is likely to need them all: start the workers now, so that
  // their start-up runs alongside this thread's work rather than after it.
  if (fillsEveryLane(source.size, count)) while (lanes.length < count) addWorker();
  try {
    const plan = await planned();
    watch.onTotal?.(plan.problems.length + plan.locations.names.length);
    yield* mapOrdered(chunksOf(plan), send, (WORKER_QUEUE + 1) * count);
  } finally {
    failure ??= new Error('scan finished');
    await Promise.all(lanes.map((w) => w?.terminate()));
  }
}
