/** Entry point of a crypto pool worker (pool.ts): unpack a job, run it, send the results back packed. */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendName } from '../../src/crypto/backend.ts';
import { runBatchJob, type BatchOp } from './jobs.ts';
import { pack, transferables, unpackAll, type Packed } from './packed.ts';

export interface JobMessage {
  id: number;
  op: BatchOp;
  key: Uint8Array;
  prefix?: Uint8Array;
  bodies?: Packed;
  ivs?: Packed;
  plaintexts?: Packed;
  ads?: Packed;
}

export type ResultMessage = { id: number; ok: true; results: Packed } | { id: number; ok: false; error: { name: string; message: string } };

const backend = (workerData as { backend?: BackendName } | undefined)?.backend;
const port = parentPort;
if (port === null) throw new Error('crypto-pool/thread.ts runs only as a worker thread');

const opt = (p: Packed | undefined) => (p === undefined ? undefined : unpackAll(p));

port.on('message', (m: JobMessage) => {
  let reply: ResultMessage;
  try {
    const results = runBatchJob(
      { op: m.op, key: m.key, bodies: opt(m.bodies), ivs: opt(m.ivs), plaintexts: opt(m.plaintexts), ads: opt(m.ads), prefix: m.prefix },
      backend,
    );
    reply = { id: m.id, ok: true, results: pack(results) };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { id: m.id, ok: false, error: { name: err.name, message: err.message } };
  }
  port.postMessage(reply, reply.ok ? transferables(reply.results) : []);
});
