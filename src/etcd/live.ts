import { grpcDetails } from '../grpc-details.ts';
import { readFileSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { concatBytes, fromUtf8 } from '../bytes.ts';
import { K8sEncError } from '../errors.ts';
import { loadGrpc, type GrpcModule } from '../grpc-load.ts';
import { KeyValueDecodeError, decodeKeyValue } from './mvcc/keyvalue.ts';
import { EtcdWireError } from './wire-reader.ts';
import { decodeRangeResponse, encodeRangeRequest, prefixRangeEnd, type RangeRequest, type RangeResponse } from './rpc-codec.ts';
import type { EtcdEntry, EtcdRevisionInfo, EtcdSource, ScanItem } from './source.ts';
import { decodeTxnResponse, encodeGuardedPuts, type GuardedPut, type TxnResult } from './txn-codec.ts';

/**
 * How to reach a running etcd, as etcdctl's flags say it: endpoints, TLS files, per-call timeout.
 */
export interface EndpointOptions {
  /** etcdctl's --endpoints: `http://host:port`, `https://host:port` or `host:port`. */
  endpoints: string[];
  /** PEM files, named after etcdctl's --cacert, --cert, --key; any of them (or https://) means TLS. */
  cacert?: string;
  cert?: string;
  key?: string;
  /** Per-call deadline; etcdctl's --command-timeout defaults to 5 s. */
  timeoutMs?: number;
}

const RANGE_METHOD = '/etcdserverpb.KV/Range';
const TXN_METHOD = '/etcdserverpb.KV/Txn';
/** Keys per Range page: Secrets are at most ~1.5 MiB, so a page stays well under memory limits. */
const PAGE_LIMIT = 500;

/**
 * A view of a running etcd v3: reads call only KV.Range; `rewrite` alone writes, through guarded
 * KV.Txn puts. Scans are paged and pinned to the revision of their first page, so they see one
 * consistent state like a snapshot does.
 */
export async function openEndpoints(opts: EndpointOptions): Promise<LiveSource> {
  if (opts.endpoints.length === 0) throw new K8sEncError('ERR_USAGE', 'no etcd endpoints given');
  const g = await loadGrpc();
  const tls = credentials(g, opts);
  const failures: string[] = [];
  for (const endpoint of opts.endpoints) {
    const target = endpoint.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
    const host = target.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const { creds, options } = tls(host);
    const client = new g.Client(target, creds, { 'grpc.max_receive_message_length': -1, ...options });
    const source = new LiveSource(client, opts.timeoutMs ?? 5000);
    try {
      await source.info();
      return source;
    } catch (e) {
      client.close();
      failures.push(`${endpoint}: ${(e as Error).message}`);
    }
  }
  throw new K8sEncError('ERR_ETCD_UNAVAILABLE', `cannot reach etcd: ${failures.join('; ')}`);
}

type EndpointCredentials = (host: string) => { creds: grpc.ChannelCredentials; options: grpc.ChannelOptions };

/**
 * Per endpoint host: the channel credentials, and the channel options they need. An IP address is
 * not a TLS server name (RFC 6066; Node warns DEP0123 when given one): for an IP endpoint the
 * server name sent is "localhost" and the certificate is still checked against the IP itself.
 */
function credentials(g: GrpcModule, opts: EndpointOptions): EndpointCredentials {
  const tls =
    opts.endpoints.some((e) => e.startsWith('https://')) || opts.cacert !== undefined || opts.cert !== undefined || opts.key !== undefined;
  if (!tls) return () => ({ creds: g.credentials.createInsecure(), options: {} });
  const read = (path: string | undefined): Buffer | null => {
    if (path === undefined) return null;
    try {
      return readFileSync(path);
    } catch (e) {
      throw new K8sEncError('ERR_IO', `cannot read ${path}: ${(e as Error).message}`, { file: path, cause: e });
    }
  };
  const [cacert, key, cert] = [read(opts.cacert), read(opts.key), read(opts.cert)];
  try {
    g.credentials.createSsl(cacert, key, cert);
  } catch (e) {
    // OpenSSL's words ("key values mismatch", "no start line"): swapped, mismatched or not PEM.
    const files = [opts.cacert && `--cacert ${opts.cacert}`, opts.cert && `--cert ${opts.cert}`, opts.key && `--key ${opts.key}`]
      .filter(Boolean)
      .join(' ');
    const why = e instanceof Error ? e.message : String(e);
    throw new K8sEncError(
      'ERR_INPUT',
      `${files}: ${why} (is each file the right PEM: CA certificate, client certificate, its private key?)`,
      { cause: e },
    );
  }
  return (host) => {
    if (isIP(host) === 0) return { creds: g.credentials.createSsl(cacert, key, cert), options: {} };
    const verify = { checkServerIdentity: (_name: string, peer: PeerCertificate) => checkServerIdentity(host, peer) };
    return { creds: g.credentials.createSsl(cacert, key, cert, verify), options: { 'grpc.ssl_target_name_override': 'localhost' } };
  };
}

export class LiveSource implements EtcdSource {
  constructor(
    private readonly client: grpc.Client,
    private readonly timeoutMs: number,
  ) {}

  private range(req: RangeRequest): Promise<RangeResponse> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        RANGE_METHOD,
        (r: RangeRequest) => Buffer.from(encodeRangeRequest(r)),
        (b: Buffer) => b,
        req,
        { deadline: Date.now() + this.timeoutMs },
        (err, buf) => {
          if (err) return reject(rangeError(err));
          try {
            resolve(decodeRangeResponse(new Uint8Array(buf!)));
          } catch (e) {
            if (!(e instanceof EtcdWireError)) throw e;
            reject(new K8sEncError('ERR_ETCD_UNAVAILABLE', `malformed RangeResponse: ${e.message}`));
          }
        },
      );
    });
  }

  async info(): Promise<EtcdRevisionInfo> {
    const all = { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]), countOnly: true };
    const { revision } = await this.range(all);
    // The API does not tell the compacted revision; a range at R fails iff R < it, so search for it.
    const readable = async (r: number): Promise<boolean> => {
      try {
        await this.range({ ...all, revision: r });
        return true;
      } catch (e) {
        if (e instanceof K8sEncError && e.code === 'ERR_ETCD_COMPACTED') return false;
        throw e;
      }
    };
    let lo = 1;
    let hi = revision;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid + 1;
    }
    return { revision, compactRevision: lo > 1 ? lo : 0 };
  }

  /**
   * `unpinned`: each page at the then current revision (a long rewrite must not read a revision
   * that the apiserver's periodic compaction removes meanwhile; its guarded puts need no snapshot).
   */
  async *scan(prefix: Uint8Array, opts: { revision?: number; unpinned?: boolean } = {}): AsyncIterable<ScanItem> {
    const rangeEnd = prefixRangeEnd(prefix);
    let key = prefix.length === 0 ? new Uint8Array([0]) : prefix;
    let revision = opts.revision ?? 0;
    for (;;) {
      const page = await this.range({ key, rangeEnd, limit: PAGE_LIMIT, revision });
      if (opts.unpinned !== true) revision = page.revision > 0 && revision === 0 ? page.revision : revision;
      let last: Uint8Array | null = null;
      for (const raw of page.kvs) {
        const item = toItem(raw);
        if (item.ok) last = item.entry.key;
        else if (item.key !== undefined) last = item.key;
        yield item;
      }
      if (!page.more || last === null) return;
      key = concatBytes(last, new Uint8Array([0]));
    }
  }

  async get(key: Uint8Array, opts: { revision?: number } = {}): Promise<EtcdEntry | null> {
    const page = await this.range({ key, revision: opts.revision ?? 0 });
    const raw = page.kvs[0];
    if (raw === undefined) return null;
    const item = toItem(raw);
    if (!item.ok) throw item.error;
    return item.entry;
  }

  /** One transaction: every put if every key still has its read mod_revision, else a range of each key. */
  guardedPuts(puts: readonly GuardedPut[]): Promise<TxnResult> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        TXN_METHOD,
        (p: readonly GuardedPut[]) => Buffer.from(encodeGuardedPuts(p)),
        (b: Buffer) => b,
        puts,
        { deadline: Date.now() + this.timeoutMs },
        (err, buf) => {
          if (err) return reject(new K8sEncError('ERR_ETCD_UNAVAILABLE', `etcd Txn failed: ${grpcDetails(err)}`, { cause: err }));
          try {
            resolve(decodeTxnResponse(new Uint8Array(buf!)));
          } catch (e) {
            if (!(e instanceof EtcdWireError)) throw e;
            reject(new K8sEncError('ERR_ETCD_UNAVAILABLE', `malformed TxnResponse: ${e.message}`));
          }
        },
      );
    });
  }

  /** A raw KeyValue from a range as a scan item (what a re-read after a lost race yields). */
  static item(raw: Uint8Array): ScanItem {
    return toItem(raw);
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

function toItem(raw: Uint8Array): ScanItem {
  try {
    const kv = decodeKeyValue(raw);
    const { createRevision, modRevision, version, lease, leaseId } = kv;
    const entry: EtcdEntry = { key: kv.key.slice(), value: kv.value.slice(), createRevision, modRevision, version, lease };
    if (leaseId !== undefined) entry.leaseId = leaseId;
    return { ok: true, entry };
  } catch (e) {
    if (!(e instanceof KeyValueDecodeError)) throw e;
    const error = new K8sEncError('ERR_ETCD_CORRUPT', `cannot decode mvccpb.KeyValue: ${e.message}`);
    if (e.key === undefined) return { ok: false, error };
    error.with({ etcdKey: fromUtf8(e.key) });
    return { ok: false, error, key: e.key.slice() };
  }
}

function rangeError(err: grpc.ServiceError): K8sEncError {
  // etcd's texts: "etcdserver: mvcc: required revision has been compacted" / "... is a future revision".
  if (err.details.includes('required revision has been compacted')) {
    return new K8sEncError('ERR_ETCD_COMPACTED', 'required revision has been compacted');
  }
  if (err.details.includes('required revision is a future revision')) {
    return new K8sEncError('ERR_ETCD_FUTURE_REVISION', 'required revision is a future revision');
  }
  return new K8sEncError('ERR_ETCD_UNAVAILABLE', `etcd Range failed: ${grpcDetails(err)}`, { cause: err });
}
