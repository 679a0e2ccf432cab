/**
 * Entry point of a scan worker (scan-parallel.ts): opens the snapshot itself, reads the values at
 * the locations it is sent, decrypts, decodes and formats them, and posts back the chunk's text.
 * Values never cross threads; only locations in and strings out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSnapshot } from '../etcd/snapshot.ts';
import { K8sEncError } from '../errors.ts';
import { chunkRunner } from './scan-chunk.ts';
import type { ChunkMessage, ChunkReply, ScanJob, ShareMessage } from './scan-messages.ts';

const job = workerData as ScanJob;
const port = parentPort;
if (port === null) throw new Error('scan-worker.ts runs only as a worker thread');
const run = chunkRunner(job);

/**
 * Opens the snapshot, then listens: messages sent meanwhile wait in the port. A snapshot that
 * cannot be opened rejects unhandled, which ends the worker with that error.
 */
async function start(p: NonNullable<typeof port>): Promise<void> {
  // The main thread checked the hash already; reading the file again here would double the scan.
  const source = await openSnapshot(job.snapshot, { skipHashCheck: true });
  p.on('message', (m: ChunkMessage | ShareMessage | 'close') => {
    if (m === 'close') {
      void source.close().then(() => p.close());
      return;
    }
    run(source, m).then(
      (reply) => p.postMessage(reply, transferable(reply)),
      (e: unknown) => {
        const code = e instanceof K8sEncError ? e.code : 'ERR_INPUT';
        p.postMessage({ id: m.id, ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } } satisfies ChunkReply);
      },
    );
  });
}

void start(port);

/** The reply's big buffers, moved rather than copied to the main thread. */
function transferable(reply: ChunkReply): ArrayBuffer[] {
  if (!reply.ok) return [];
  if (reply.share !== undefined) return [reply.share.numbers.buffer as ArrayBuffer];
  return [(reply.verify ?? reply.get)!.text.buffer as ArrayBuffer];
}
