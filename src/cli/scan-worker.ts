/**
 * Entry point of a scan worker (scan-parallel.ts): told its job by the first message, opens the
 * snapshot itself, reads the values at the locations it is sent, decrypts, decodes and formats
 * them, and posts back the chunk's text. Values never cross threads; only locations in and strings
 * out. The job comes as a message, not as workerData, so that the thread can start (and load its
 * modules, ~0.1 s of CPU) while the main thread still reads the config and opens the snapshot.
 */
import { parentPort } from 'node:worker_threads';
import { openSnapshot } from '../etcd/snapshot.ts';
import { K8sEncError } from '../errors.ts';
import { chunkRunner, type ChunkResult } from './scan-chunk.ts';
import type { ChunkMessage, ChunkReply, JobMessage, ShareMessage } from './scan-messages.ts';

const port = parentPort;
if (port === null) throw new Error('scan-worker.ts runs only as a worker thread');

/** The job's runner over its own handle on the snapshot. */
async function open(job: JobMessage['job']): Promise<(m: ChunkMessage | ShareMessage) => Promise<ChunkResult>> {
  const run = chunkRunner(job);
  // The main thread checks the hash; reading the file again here would double the scan.
  const source = await openSnapshot(job.snapshot, { skipHashCheck: true });
  return (m) => run(source, m);
}

let ready: ReturnType<typeof open> | undefined;
// Requests wait for the snapshot to open, in order; one that cannot be opened fails each of them.
// The main thread ends a worker with terminate(): the mapping and handle go with the thread.
port.on('message', (m: JobMessage | ChunkMessage | ShareMessage) => {
  if ('job' in m) {
    ready = open(m.job);
    return;
  }
  if (ready === undefined) throw new Error('scan worker: a request before the job');
  ready
    .then((run) => run(m))
    .then(
      (reply) => port.postMessage(reply, transferable(reply)),
      (e: unknown) => {
        const code = e instanceof K8sEncError ? e.code : 'ERR_INPUT';
        port.postMessage({
          id: m.id,
          ok: false,
          error: { code, message: e instanceof Error ? e.message : String(e) },
        } satisfies ChunkReply);
      },
    );
});

/** The reply's big buffers, moved rather than copied to the main thread. */
function transferable(reply: ChunkReply): ArrayBuffer[] {
  if (!reply.ok) return [];
  if (reply.share !== undefined) return [reply.share.numbers.buffer as ArrayBuffer];
  return [(reply.verify ?? reply.get)!.text.buffer as ArrayBuffer];
}
