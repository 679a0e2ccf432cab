/**
 * A KMS v2 plugin client over gRPC, as the apiserver's kmsv2.NewGRPCService plus the health
 * rules its Status poller applies (docs/FORMATS.md#kms-plugin-grpc-api): healthz "ok", version v2 or v2beta1 (and never
 * changing), a valid key ID. Each Encrypt and Decrypt carries a fresh UUID.
 */
import { createHash, randomUUID } from 'node:crypto';
import { utf8 } from '../bytes.ts';
import { goQuote } from '../go-quote.ts';
import type { KmsV2Service } from '../transformers/types.ts';
import type { PluginChannel } from './channel.ts';
import {
  decodeDecryptResponse,
  decodeEncryptResponse,
  decodeStatusResponse,
  encodeDecryptRequest,
  encodeEncryptRequest,
  encodeStatusRequest,
  V2_SERVICE,
  type StatusResponse,
} from './messages-v2.ts';

/**
 * How long a healthy Status answer is reused. The KMS v2 transformer asks on every read and write,
 * and a scan reads ~100 000 values; the apiserver itself reuses one for 20 s in its health check
 * and looks for a key rotation only once a minute, so 20 s costs no freshness upstream has.
 */
export const HEALTHY_STATUS_CACHE_MS = 20_000;
/** Failures are reused for upstream's 3 s too: a scan with the plugin down must not wait out every value. */
export const UNHEALTHY_STATUS_CACHE_MS = 3_000;

const MAX_KEY_ID_SIZE = 1024;

export interface KmsV2ClientOptions {
  /** Overrides HEALTHY_STATUS_CACHE_MS; failures are kept for at most this long too (0: no cache). */
  statusCacheMs?: number;
}

export function createKmsV2Client(channel: PluginChannel, opts: KmsV2ClientOptions = {}): KmsV2Service {
  const healthyMs = opts.statusCacheMs ?? HEALTHY_STATUS_CACHE_MS;
  const unhealthyMs = Math.min(healthyMs, UNHEALTHY_STATUS_CACHE_MS);
  let firstVersion: string | undefined;
  let cached: { result: Promise<{ keyID: string }>; until: number } | undefined;

  async function askStatus(): Promise<{ keyID: string }> {
    const r = await channel.call(`${V2_SERVICE}/Status`, encodeStatusRequest(), decodeStatusResponse);
    const errs = healthErrors(r);
    if (errs.length > 0) {
      // utilerrors.Reduce(NewAggregate(errs)): one error bare, several as "[a, b]".
      const text = errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`;
      throw channel.upstream(`kmsv2 Provider ${channel.info.name} is not healthy, error: ${text}`);
    }
    return { keyID: r.keyID };
  }

  function healthErrors(r: StatusResponse): string[] {
    const errs: string[] = [];
    if (r.healthz !== 'ok') errs.push(`got unexpected healthz status: ${r.healthz}`);
    if (r.version !== 'v2' && r.version !== 'v2beta1') errs.push(`expected KMSv2 API version v2, got ${r.version}`);
    else {
      firstVersion ??= r.version;
      if (r.version !== firstVersion) {
        errs.push(`KMSv2 API version should not change after the initial status response version ${firstVersion}, got ${r.version}`);
      }
    }
    const keyIDError = validateKeyID(r.keyID);
    if (keyIDError !== null) errs.push(`got invalid KMSv2 KeyID hash ${goQuote(keyIDHash(r.keyID))}: ${keyIDError}`);
    return errs;
  }

  return {
    status() {
      if (cached !== undefined && Date.now() < cached.until) return cached.result;
      // Callers that arrive while a Status call is in flight share it.
      const entry = { result: askStatus(), until: Infinity };
      cached = entry;
      entry.result.then(
        () => void (entry.until = Date.now() + healthyMs),
        () => void (entry.until = Date.now() + unhealthyMs),
      );
      return entry.result;
    },

    async encrypt(plaintext) {
      const r = await channel.call(`${V2_SERVICE}/Encrypt`, encodeEncryptRequest(plaintext, randomUUID()), decodeEncryptResponse);
      return { ciphertext: r.ciphertext, keyID: r.keyID, annotations: r.annotations };
    },

    decrypt(req) {
      const request = encodeDecryptRequest({ ...req, uid: randomUUID() });
      return channel.call(`${V2_SERVICE}/Decrypt`, request, decodeDecryptResponse);
    },
  };
}

function validateKeyID(keyID: string): string | null {
  const size = utf8(keyID).length;
  if (size === 0) return 'keyID is empty';
  if (size > MAX_KEY_ID_SIZE) return `keyID is ${size} bytes, which exceeds the max size of ${MAX_KEY_ID_SIZE}`;
  return null;
}

/** Upstream never prints a key ID from Status, only `sha256:<hex>` of it (or "" when empty). */
function keyIDHash(keyID: string): string {
  return keyID === '' ? '' : `sha256:${createHash('sha256').update(keyID).digest('hex')}`;
}
