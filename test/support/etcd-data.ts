import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { etcdctlBinary, type EtcdTls } from './etcd-server.ts';

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'proto');

/** proto/etcd/rpc.proto and proto/mvcc.proto through protobufjs: an implementation independent of src/etcd's codecs. */
export async function loadEtcdProtos(): Promise<protobuf.Root> {
  const root = new protobuf.Root();
  // protoc resolves imports against the include dir (proto/), not against the importing file.
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  await root.load(['etcd/rpc.proto', 'mvcc.proto'], { keepCase: false });
  return root;
}

/** A key as protobufjs decodes a RangeResponse; the lease as a decimal string. */
export interface RangeKv {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
}

/** Fills and reads a test etcd through KV.Put/DeleteRange/Compact/Range and Lease.LeaseGrant, by protobufjs. */
export class EtcdWriter {
  private constructor(
    private readonly client: grpc.Client,
    private readonly root: protobuf.Root,
  ) {}

  static async connect(endpoint: string, tls?: EtcdTls): Promise<EtcdWriter> {
    const creds = tls
      ? grpc.credentials.createSsl(readFileSync(tls.cacert), readFileSync(tls.key), readFileSync(tls.cert))
      : grpc.credentials.createInsecure();
    const client = new grpc.Client(endpoint.replace(/^https?:\/\//, ''), creds);
    return new EtcdWriter(client, await loadEtcdProtos());
  }

  /** `method` is `Service/Method`, or a KV method's bare name. Lease IDs come back as decimal strings (exact). */
  private call(method: string, reqType: string, resType: string, req: object): Promise<Record<string, unknown>> {
    const Req = this.root.lookupType(`etcdserverpb.${reqType}`);
    const Res = this.root.lookupType(`etcdserverpb.${resType}`);
    const path = method.includes('/') ? `/etcdserverpb.${method}` : `/etcdserverpb.KV/${method}`;
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (r: object) => Buffer.from(Req.encode(Req.fromObject(r)).finish()),
        (b: Buffer) => Res.toObject(Res.decode(b), { longs: String, bytes: Buffer }) as Record<string, unknown>,
        req,
        { deadline: Date.now() + 10000 },
        (err, res) => (err ? reject(err) : resolve(res!)),
      );
    });
  }

  private static revision(res: Record<string, unknown>): number {
    return Number((res['header'] as { revision: string }).revision);
  }

  /** Returns the revision of the put. `lease`: a lease ID from grantLease (decimal string, exact). */
  async put(key: string | Uint8Array, value: Uint8Array, lease?: string): Promise<number> {
    const req = { key: Buffer.from(key), value, ...(lease !== undefined && { lease }) };
    return EtcdWriter.revision(await this.call('Put', 'PutRequest', 'PutResponse', req));
  }

  /** A new lease's ID as a decimal string (IDs are int64s, usually above 2^53). */
  async grantLease(ttlSeconds: number): Promise<string> {
    const res = await this.call('Lease/LeaseGrant', 'LeaseGrantRequest', 'LeaseGrantResponse', { TTL: ttlSeconds });
    return String(res['ID']);
  }

  /** Ends a lease: etcd deletes the keys attached to it. */
  async revokeLease(id: string): Promise<void> {
    await this.call('Lease/LeaseRevoke', 'LeaseRevokeRequest', 'LeaseRevokeResponse', { ID: id });
  }

  /** Every live key under `prefix` (all keys for ''), or at `revision`, decoded by protobufjs. */
  async range(prefix: string, revision = 0): Promise<{ revision: number; kvs: RangeKv[] }> {
    const key = Buffer.from(prefix === '' ? '\0' : prefix);
    const end = Buffer.from(key);
    if (prefix === '') end[0] = 0;
    else end[end.length - 1]!++;
    const res = await this.call('Range', 'RangeRequest', 'RangeResponse', { key, rangeEnd: end, revision });
    const kvs = ((res['kvs'] as Record<string, unknown>[] | undefined) ?? []).map((kv) => ({
      key: new Uint8Array(kv['key'] as Buffer),
      value: new Uint8Array((kv['value'] as Buffer | undefined) ?? Buffer.alloc(0)),
      createRevision: Number(kv['createRevision'] ?? 0),
      modRevision: Number(kv['modRevision'] ?? 0),
      version: Number(kv['version'] ?? 0),
      lease: String(kv['lease'] ?? '0'),
    }));
    return { revision: EtcdWriter.revision(res), kvs };
  }

  /** Returns the revision after the delete and how many keys went (0 = no new revision). */
  async del(key: string | Uint8Array): Promise<{ revision: number; deleted: number }> {
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

/** What a test expects etcd to hold: every put/delete with the revision etcd gave it. */
export interface ExpectedEntry {
  key: Uint8Array;
  value: Uint8Array;
  createRevision: number;
  modRevision: number;
  version: number;
}

type Version = { rev: number; value: Uint8Array | null; createRevision: number; version: number };

export class EtcdModel {
  private readonly history = new Map<string, { key: Uint8Array; versions: Version[] }>();

  /** Records a put at revision `rev`: version restarts at 1 after a delete, as etcd does. */
  put(key: Uint8Array, value: Uint8Array, rev: number): void {
    const h = this.entry(key);
    const last = h.versions.at(-1);
    const live = last !== undefined && last.value !== null;
    h.versions.push({ rev, value, createRevision: live ? last.createRevision : rev, version: live ? last.version + 1 : 1 });
  }

  delete(key: Uint8Array, rev: number): void {
    this.entry(key).versions.push({ rev, value: null, createRevision: 0, version: 0 });
  }

  /** The live keys at `revision` (default: latest) starting with `prefix`, in key byte order. */
  at(prefix: Uint8Array, revision = Number.MAX_SAFE_INTEGER): ExpectedEntry[] {
    const out: ExpectedEntry[] = [];
    for (const { key, versions } of this.history.values()) {
      if (key.length < prefix.length || prefix.some((b, i) => key[i] !== b)) continue;
      const v = versions.filter((x) => x.rev <= revision).at(-1);
      if (v === undefined || v.value === null) continue;
      out.push({ key, value: v.value, createRevision: v.createRevision, modRevision: v.rev, version: v.version });
    }
    return out.sort((a, b) => Buffer.compare(a.key, b.key));
  }

  liveKeys(): Uint8Array[] {
    return this.at(new Uint8Array(0)).map((e) => e.key);
  }

  private entry(key: Uint8Array): { key: Uint8Array; versions: Version[] } {
    const id = Buffer.from(key).toString('hex');
    let h = this.history.get(id);
    if (h === undefined) this.history.set(id, (h = { key, versions: [] }));
    return h;
  }
}

/** Puts into etcd and records in the model in one step. */
export async function putBoth(w: EtcdWriter, m: EtcdModel, key: Uint8Array, value: Uint8Array): Promise<number> {
  const rev = await w.put(key, value);
  m.put(key, value, rev);
  return rev;
}

export async function deleteBoth(w: EtcdWriter, m: EtcdModel, key: Uint8Array): Promise<number> {
  const { revision, deleted } = await w.del(key);
  if (deleted > 0) m.delete(key, revision);
  return revision;
}
