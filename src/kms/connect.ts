/**
 * Connects a configured KMS provider to its running plugin: what `TransformerOptions.kms`
 * expects, for use against real plugins (e.g. to read a restored cluster's data).
 */
import type { KmsProviderInfo, KmsService, KmsV1Service, KmsV2Service } from '../transformers/types.ts';
import { DEFAULT_KMS_TIMEOUT_MS, openPluginChannel } from './channel.ts';
import { createKmsV1Client } from './grpc-v1.ts';
import { createKmsV2Client } from './grpc-v2.ts';

/**
 * Where a configured KMS provider's plugin listens, and how {@link connectKmsPlugin} talks to it.
 */
export interface KmsPluginOptions extends KmsProviderInfo {
  /** Deadline of each call: the provider's `timeout` (default 3 s). */
  timeoutMs?: number;
  /** KMS v2: how long a healthy Status is reused (see HEALTHY_STATUS_CACHE_MS). */
  statusCacheMs?: number;
  /** Once the plugin is found unreachable, fail later calls at once (see openPluginChannel). */
  downIsFinal?: boolean;
}

/**
 * Something holding a connection that its owner must end with `close()`.
 */
export interface Closable {
  /** Ends the connection; later calls fail. */
  close(): void;
}

/**
 * A connected KMS plugin client: the {@link KmsService} a transformer calls, plus `close()`.
 */
export type KmsPlugin = KmsService & Closable;

const open = new Set<KmsPlugin>();

/**
 * A client for the plugin at `endpoint` (`unix:///path` or `unix:///@name`). It connects on its
 * first call, so providers whose values are never read need no running plugin. Throws ERR_KMS for
 * an endpoint that is not a unix socket.
 */
export function connectKmsPlugin(o: KmsPluginOptions & { apiVersion: 'v1' }): KmsV1Service & Closable;
export function connectKmsPlugin(o: KmsPluginOptions & { apiVersion: 'v2' }): KmsV2Service & Closable;
export function connectKmsPlugin(o: KmsPluginOptions): KmsPlugin;
export function connectKmsPlugin(o: KmsPluginOptions): KmsPlugin {
  const info: KmsProviderInfo = { name: o.name, apiVersion: o.apiVersion, endpoint: o.endpoint };
  const timeoutMs = o.timeoutMs ?? DEFAULT_KMS_TIMEOUT_MS;
  // The apiserver sets the :authority "localhost" for v2 only; v1 keeps gRPC's default.
  const channel = openPluginChannel(info, timeoutMs, o.apiVersion === 'v2' ? 'localhost' : undefined, o.downIsFinal === true);
  const service =
    o.apiVersion === 'v1'
      ? createKmsV1Client(channel)
      : createKmsV2Client(channel, o.statusCacheMs === undefined ? {} : { statusCacheMs: o.statusCacheMs });
  const plugin: KmsPlugin = {
    ...service,
    close() {
      open.delete(plugin);
      channel.close();
    },
  };
  open.add(plugin);
  return plugin;
}

/** Closes every plugin connection opened by connectKmsPlugin and not yet closed. */
export function closeKmsPlugins(): void {
  for (const p of [...open]) p.close();
}
