/**
 * Connects the configuration's KMS providers to their running plugins for one command, with each
 * provider's configured timeout, and `--kms-endpoint NAME=unix:///path` for a plugin that now
 * listens somewhere else than the configuration says (a restored cluster, another host).
 */
import type { EncryptionConfig, ProviderConfig } from '../config/types.ts';
import { K8sEncError } from '../errors.ts';
import type { KmsPlugin } from '../kms/connect.ts';
import { parseKmsEndpoint } from '../kms/endpoint.ts';
import type { KmsProviderInfo, TransformerOptions } from '../transformers/types.ts';
import { strs, UsageError, type Parsed } from './args.ts';

type KmsConfig = Extract<ProviderConfig, { type: 'kms' }>;

export interface KmsConnections {
  options: TransformerOptions;
  /** Ends every plugin connection the command opened. */
  close(): void;
}

/**
 * The gRPC client (kms/connect.ts and its channel) is loaded only for a configuration with KMS
 * providers: ~30 ms of a scan's start before its first value otherwise.
 */
export async function connectKmsPlugins(command: string, p: Parsed, config: EncryptionConfig): Promise<KmsConnections> {
  const providers = config.resources.flatMap((r) => r.providers).filter((x): x is KmsConfig => x.type === 'kms');
  const overrides = endpointOverrides(command, strs(p, 'kms-endpoint'), providers);
  const { connectKmsPlugin } = providers.length > 0 ? await import('../kms/connect.ts') : { connectKmsPlugin: noPlugin };
  // One connection per plugin, shared by the chains of every resource that lists it.
  const plugins = new Map<string, KmsPlugin>();
  const kms = (info: KmsProviderInfo): KmsPlugin => {
    const id = `${info.apiVersion}\0${info.name}\0${info.endpoint}`;
    let plugin = plugins.get(id);
    if (plugin === undefined) {
      const configured =
        providers.find((x) => x.apiVersion === info.apiVersion && x.name === info.name && x.endpoint === info.endpoint) ??
        providers.find((x) => x.apiVersion === info.apiVersion && x.name === info.name);
      const endpoint = overrides.get(info.name) ?? info.endpoint;
      // One run: a plugin found down stays down, so a scan does not wait out every value's deadline.
      plugin = connectKmsPlugin({ ...info, endpoint, downIsFinal: true, ...(configured && { timeoutMs: configured.timeoutMs }) });
      plugins.set(id, plugin);
    }
    return plugin;
  };
  return {
    options: { kms },
    close() {
      for (const plugin of plugins.values()) plugin.close();
      plugins.clear();
    },
  };
}

/** A configuration without KMS providers builds no KMS transformer: nothing asks for a plugin. */
function noPlugin(info: KmsProviderInfo): KmsPlugin {
  throw new K8sEncError('ERR_KMS', `no KMS provider ${JSON.stringify(info.name)} in the configuration`);
}

function endpointOverrides(command: string, values: string[], providers: KmsConfig[]): Map<string, string> {
  const names = [...new Set(providers.map((x) => x.name))].sort((a, b) => b.length - a.length);
  const overrides = new Map<string, string>();
  for (const v of values) {
    // Names may contain `=` and `:`; the longest configured name followed by `=` wins.
    const name = names.find((n) => v.startsWith(`${n}=`));
    if (name === undefined) {
      const hint = names.length === 0 ? 'the configuration has no KMS providers' : `configured KMS providers: ${names.join(', ')}`;
      throw new UsageError(command, `--kms-endpoint ${JSON.stringify(v)}: want NAME=unix:///path with NAME a KMS provider (${hint})`);
    }
    const endpoint = v.slice(name.length + 1);
    try {
      parseKmsEndpoint(endpoint);
    } catch (e) {
      if (e instanceof K8sEncError) throw new UsageError(command, `--kms-endpoint ${name}: ${e.message}`);
      throw e;
    }
    overrides.set(name, endpoint);
  }
  return overrides;
}
