/**
 * A KMS v1 plugin client over gRPC (API v1beta1), as the apiserver's envelope.NewGRPCService:
 * `Version` is checked once before the first Encrypt or Decrypt, and every request carries
 * `version: "v1beta1"`. Plugin errors are returned as they come; the envelope passes them on unwrapped.
 */
import type { KmsV1Service } from '../transformers/types.ts';
import type { PluginChannel } from './channel.ts';
import { decodeV1beta1Data, decodeVersionResponse, encodeV1beta1Request, V1BETA1_SERVICE } from './messages-v1beta1.ts';

const API_VERSION = 'v1beta1';

export function createKmsV1Client(channel: PluginChannel): KmsV1Service {
  // Shared by concurrent first calls; forgotten on failure so the next call asks again, as upstream.
  let versionChecked: Promise<void> | null = null;

  async function checkVersion(): Promise<void> {
    const { version } = await channel.call(
      `${V1BETA1_SERVICE}/Version`,
      encodeV1beta1Request(API_VERSION),
      decodeVersionResponse,
      'failed get version from remote KMS provider',
    );
    if (version !== API_VERSION) {
      throw channel.upstream(`KMS provider api version ${version} is not supported, only ${API_VERSION} is supported now`);
    }
  }

  async function call(method: 'Encrypt' | 'Decrypt', data: Uint8Array): Promise<Uint8Array> {
    versionChecked ??= checkVersion().catch((e: unknown) => {
      versionChecked = null;
      throw e;
    });
    await versionChecked;
    return channel.call(`${V1BETA1_SERVICE}/${method}`, encodeV1beta1Request(API_VERSION, data), decodeV1beta1Data);
  }

  return {
    encrypt: (plain) => call('Encrypt', plain),
    decrypt: (cipher) => call('Decrypt', cipher),
  };
}
