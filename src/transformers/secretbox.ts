import { K8sEncError } from '../errors.ts';
import type { CryptoBackend } from '../crypto/backend.ts';
import { secretboxOpenMany } from '../crypto/batch.ts';
import { readRandom } from './random.ts';
import { openInBatch } from './batch.ts';
import type { RandomSource, ReadItem, ReadResult, Transformer } from './types.ts';

const KEY_SIZE = 32;
const NONCE_SIZE = 24;
const TAG_SIZE = 16;

/** One secretbox key: `nonce(24) ‖ tag(16) ‖ XSalsa20 ct` after `k8s:enc:secretbox:v1:<keyName>:`. No AD. */
export function createSecretboxTransformer(key: Uint8Array, backend: CryptoBackend, random: RandomSource): Transformer {
  if (key.length !== KEY_SIZE) {
    throw new K8sEncError('ERR_INVALID_KEY', `expected key size 32 for secretbox provider, got ${key.length}`);
  }
  const open = (stored: Uint8Array): Uint8Array => {
    if (stored.length < NONCE_SIZE + TAG_SIZE) {
      throw new K8sEncError('ERR_DATA_TOO_SHORT', 'the stored data was shorter than the required size');
    }
    const plain = backend.secretboxOpen(key, stored.subarray(0, NONCE_SIZE), stored.subarray(NONCE_SIZE));
    // Upstream's text for a failed open really is this misleading one (docs/FORMATS.md#secretbox).
    if (plain === null) throw new K8sEncError('ERR_AUTH_FAILED', 'output array was not large enough for encryption');
    return plain;
  };
  return {
    async fromStorage(stored: Uint8Array): Promise<ReadResult> {
      return { data: open(stored), stale: false };
    },
    async fromStorageMany(items: readonly ReadItem[]): Promise<(ReadResult | K8sEncError)[]> {
      return openInBatch(
        items,
        NONCE_SIZE + TAG_SIZE,
        (indices) =>
          secretboxOpenMany(
            backend,
            key,
            indices.map((i) => items[i]!.stored),
          ),
        (i) => open(items[i]!.stored),
      );
    },
    async toStorage(data: Uint8Array): Promise<Uint8Array> {
      const nonce = readRandom(random, NONCE_SIZE, () => new K8sEncError('ERR_WRITE', 'unable to read sufficient random bytes'));
      const box = backend.secretboxSeal(key, nonce, data);
      const out = new Uint8Array(NONCE_SIZE + box.length);
      out.set(nonce);
      out.set(box, NONCE_SIZE);
      return out;
    },
  };
}
