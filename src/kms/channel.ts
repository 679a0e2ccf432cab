/**
 * One gRPC connection to a KMS plugin, with the apiserver's call options (docs/FORMATS.md#kms-plugin-grpc-api): insecure
 * (a unix socket), wait-for-ready, and a deadline of the provider's timeout on every call.
 */
import { statSync } from 'node:fs';
import type * as grpc from '@grpc/grpc-js';
import { K8sEncError } from '../errors.ts';
import { goQuote } from '../go-quote.ts';
import { grpcDetails } from '../grpc-details.ts';
import type { KmsProviderInfo } from '../transformers/types.ts';
import { parseKmsEndpoint, type KmsSocket } from './endpoint.ts';
import { loadGrpc, type GrpcModule } from '../grpc-load.ts';

/** The apiserver's default when the configuration gives no `timeout`. */
export const DEFAULT_KMS_TIMEOUT_MS = 3000;

// grpc-go's codes.Code names, so a plugin failure reads as the apiserver logs it.
const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

export interface PluginChannel {
  readonly info: KmsProviderInfo;
  /**
   * One unary call. Fails with ERR_KMS `KMS provider "<name>" at <endpoint>: [<context>: ]rpc error:
   * code = … desc = …`, the last part as grpc-go prints a status.
   */
  call<T>(method: string, request: Uint8Array, decode: (response: Uint8Array) => T, context?: string): Promise<T>;
  /** An ERR_KMS error with exactly the apiserver's text; the provider goes in the context. */
  upstream(message: string): K8sEncError;
  close(): void;
}

/**
 * `downIsFinal`: once a call finds the plugin unreachable (deadline passed, unavailable), every
 * later call fails at once with that error instead of waiting out its own deadline. For one-shot
 * runs such as a CLI scan; a long-lived process keeps asking, as the apiserver does.
 */
export function openPluginChannel(info: KmsProviderInfo, timeoutMs: number, authority?: string, downIsFinal = false): PluginChannel {
  const socket = parseKmsEndpoint(info.endpoint);
  const options: grpc.ChannelOptions = authority === undefined ? {} : { 'grpc.default_authority': authority };
  // Connected by the first call (grpc-load.ts); parseKmsEndpoint above already rejected bad endpoints.
  let connecting: Promise<{ grpc: GrpcModule; client: grpc.Client }> | undefined;
  const connect = () =>
    (connecting ??= loadGrpc().then((g) => ({ grpc: g, client: new g.Client(socket.target, g.credentials.createInsecure(), options) })));
  const provider = `kms:${info.apiVersion}:${info.name}`;
  const where = `KMS provider ${goQuote(info.name)} at ${info.endpoint}`;
  const fail = (message: string, cause?: unknown) => new K8sEncError('ERR_KMS', `${where}: ${message}`, { provider, cause });

  let down: K8sEncError | undefined;

  return {
    info,
    upstream: (message) => new K8sEncError('ERR_KMS', message, { provider }),
    async call(method, request, decode, context) {
      if (down !== undefined) throw down;
      const { grpc: g, client } = await connect();
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          method,
          (r: Uint8Array) => Buffer.from(r.buffer, r.byteOffset, r.byteLength),
          (b: Buffer) => decode(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)),
          request,
          new g.Metadata({ waitForReady: true }),
          { deadline: Date.now() + timeoutMs },
          (err, response) => {
            if (err) {
              const text = statusText(err) + missingSocketHint(g, socket, err);
              const error = fail(context === undefined ? text : `${context}: ${text}`, err);
              if (downIsFinal && (err.code === g.status.DEADLINE_EXCEEDED || err.code === g.status.UNAVAILABLE)) {
                down ??= fail(`${text} (the plugin did not answer earlier in this run: not asked again)`, err);
              }
              reject(error);
            } else resolve(response!);
          },
        );
      });
    },
    close: () => void connecting?.then(({ client }) => client.close()),
  };
}

/** grpc-go's status error text: `rpc error: code = Unavailable desc = ...`. */
function statusText(err: grpc.ServiceError): string {
  const name = GO_CODE_NAMES[err.code] ?? `Code(${err.code})`;
  return `rpc error: code = ${name} desc = ${grpcDetails(err)}`;
}

// With wait-for-ready a missing plugin shows only as a deadline; say why when it is plain to see.
function missingSocketHint(g: GrpcModule, socket: KmsSocket, err: grpc.ServiceError): string {
  if (socket.abstract || (err.code !== g.status.DEADLINE_EXCEEDED && err.code !== g.status.UNAVAILABLE)) return '';
  try {
    statSync(socket.path);
    return '';
  } catch {
    return ` (no socket at ${socket.path}: is the KMS plugin running?)`;
  }
}
