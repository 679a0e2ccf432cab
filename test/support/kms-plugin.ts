/**
 * KMS plugins for tests: real gRPC servers on unix sockets built from proto/kms/*.proto with
 * protobufjs reflection (not the clients' hand-written codec), serving a fake KMS.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { KmsV1Service, KmsV2Service } from '../../src/transformers/types.ts';

let socketCount = 0;

// biome-ignore lint/suspicious/noExplicitAny: protobufjs objects of several message types, checked by the tests that read them
export type Message = Record<string, any>;
export type Handler = (request: Message) => Message | Promise<Message>;

export interface PluginServer {
  endpoint: string;
  /** Calls per method name. */
  calls: Record<string, number>;
  requests: { method: string; request: Message; authority: string }[];
  stop(): void;
}

export const roots = {
  v1beta1: protobuf.loadSync('proto/kms/v1beta1.proto'),
  v2: protobuf.loadSync('proto/kms/v2.proto'),
};

/**
 * A KMS plugin on a fresh socket. A handler that throws answers with the error's text as an
 * UNKNOWN status, as a Go plugin returning a plain error does; `raw` handlers return wire bytes.
 */
export async function startPluginServer(
  dir: string,
  pkg: 'v1beta1' | 'v2',
  handlers: Record<string, Handler>,
  opts: { abstract?: boolean; raw?: Record<string, () => Uint8Array> } = {},
): Promise<PluginServer> {
  const root = roots[pkg];
  const service = root.lookupService(`${pkg}.KeyManagementService`);
  const plugin: PluginServer = { endpoint: '', calls: {}, requests: [], stop: () => server.forceShutdown() };
  const definition: Record<string, grpc.MethodDefinition<Message, Message | Uint8Array>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.methods)) {
    const req = root.lookupType(`${pkg}.${method.requestType}`);
    const res = root.lookupType(`${pkg}.${method.responseType}`);
    const raw = opts.raw?.[name];
    definition[name] = {
      path: `/${pkg}.KeyManagementService/${name}`,
      requestStream: false,
      responseStream: false,
      requestDeserialize: (b: Buffer) => req.toObject(req.decode(b), { defaults: true }),
      requestSerialize: (o: Message) => Buffer.from(req.encode(req.fromObject(o)).finish()),
      responseSerialize: (o: Message | Uint8Array) =>
        o instanceof Uint8Array ? Buffer.from(o) : Buffer.from(res.encode(res.fromObject(o)).finish()),
      responseDeserialize: (b: Buffer) => res.toObject(res.decode(b)),
    };
    implementation[name] = (call: grpc.ServerUnaryCall<Message, Message>, callback: grpc.sendUnaryData<Message | Uint8Array>) => {
      plugin.calls[name] = (plugin.calls[name] ?? 0) + 1;
      plugin.requests.push({ method: name, request: call.request, authority: call.getHost() });
      if (raw !== undefined) return callback(null, raw());
      const handler = handlers[name];
      if (handler === undefined) return callback({ code: grpc.status.UNIMPLEMENTED, details: `no ${name}` });
      Promise.resolve()
        .then(() => handler(call.request))
        .then(
          (r) => callback(null, r),
          (e: Error) => callback(e),
        );
    };
  }
  const server = new grpc.Server();
  server.addService(definition, implementation);
  const id = `kms-${process.pid}-${socketCount++}`;
  const address = opts.abstract ? `\0k8s-enc-test-${id}-${randomBytes(4).toString('hex')}` : join(dir, `${id}.sock`);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix:${address}`, grpc.ServerCredentials.createInsecure(), (e) => (e ? reject(e) : resolve())),
  );
  plugin.endpoint = opts.abstract ? `unix:///@${address.slice(1)}` : `unix://${address}`;
  return plugin;
}

export function v1Handlers(fake: () => KmsV1Service, version = 'v1beta1'): Record<string, Handler> {
  const checked = (r: Message) => {
    if (r.version !== 'v1beta1') throw new Error(`request version ${JSON.stringify(r.version)}`);
  };
  return {
    Version: (r) => {
      checked(r);
      return { version, runtimeName: 'k8s-enc-test', runtimeVersion: '0.0.0' };
    },
    Encrypt: async (r) => {
      checked(r);
      return { cipher: await fake().encrypt(r.plain) };
    },
    Decrypt: async (r) => {
      checked(r);
      return { plain: await fake().decrypt(r.cipher) };
    },
  };
}

export function v2Handlers(fake: () => KmsV2Service, status?: () => Message): Record<string, Handler> {
  return {
    Status: async () => status?.() ?? { version: 'v2', healthz: 'ok', keyId: (await fake().status()).keyID },
    Encrypt: async (r) => {
      const out = await fake().encrypt(r.plaintext);
      return { ciphertext: out.ciphertext, keyId: out.keyID, annotations: out.annotations ?? {} };
    },
    Decrypt: async (r) => ({ plaintext: await fake().decrypt({ ciphertext: r.ciphertext, keyID: r.keyId, annotations: r.annotations }) }),
  };
}
