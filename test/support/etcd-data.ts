import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { etcdctlBinary } from './etcd-server.ts';

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

/** proto/etcd/rpc.proto and proto/mvcc.proto through protobufjs: an implementation independent of src/etcd's codecs. */
export async function loadEtcdProtos(): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  // protoc resolves imports against the include dir (proto/), not against the importing file.
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  await root.load(['etcd/rpc.proto', 'mvcc.proto'], { keepCase: false });
  return root;
}

/** Fills a test etcd through KV.Put/DeleteRange/Compact (the library itself is read-only). */
export class EtcdWriter {
  private constructor(
    private readonly client: grpc.Client,
    private readonly root: protobuf.Root,
  ) {}

  static async connect(endpoint: string): Promise<EtcdWriter> {
    const client = new grpc.Client(endpoint.replace(/^http:\/\//, ''), grpc.credentials.createInsecure());
    return new EtcdWriter(client, await loadEtcdProtos());
  }

  private call(method: string, reqType: string, resType: string, req: object): Promise<Record<string, unknown>> {
    const Req = this.root.lookupType(`etcdserverpb.${reqType}`);
    const Res = this.root.lookupType(`etcdserverpb.${resType}`);
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/etcdserverpb.KV/${method}`,
        (r: object) => Buffer.from(Req.encode(Req.fromObject(r)).finish()),
        (b: Buffer) => Res.toObject(Res.decode(b), { longs: Number }) as Record<string, unknown>,
        req,
        { deadline: Date.now() + 10000 },
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
    });
  }

  private static revision(res: Record<string, unknown>): number {
    return (res['header'] as { revision: number }).revision;
  }

  /** Returns the revision of the put. */
  async put(key: string, value: Uint8Array): Promise<number> {
    return EtcdWriter.revision(await this.call('Put', 'PutRequest', 'PutResponse', { key: Buffer.from(key), value }));
  }

  /** Returns the revision after the delete and how many keys went (0 = no new revision). */
  async del(key: string): Promise<{ revision: number; deleted: number }> {
    const res = await this.call('DeleteRange', 'DeleteRangeRequest', 'DeleteRangeResponse', { key: Buffer.from(key) });
    return { revision: EtcdWriter.revision(res), deleted: Number(res['deleted'] ?? 0) };
  }

  async compact(revision: number): Promise<void> {
    await this.call('Compact', 'CompactionRequest', 'CompactionResponse', { revision, physical: true });
  }

  close(): void {
    this.client.close();
  }
}

/** `etcdctl snapshot save`: the real tool's file, sha256 trailer included. */
export async function snapshotSave(endpoint: string, outPath: string): Promise<void> {
  await promisify(execFile)(etcdctlBinary(), [`--endpoints=${endpoint}`, 'snapshot', 'save', outPath], {
    env: { ...process.env, ETCDCTL_API: '3' },
  });
}
