import { K8sEncError } from '../errors.ts';
import { startsWith, utf8 } from '../bytes.ts';
import type { ReadResult, Transformer } from './types.ts';

const ENCRYPTED_PREFIX = utf8('k8s:enc:');

/**
 * What unconfigured resources use. Passes values through, but refuses anything carrying the reserved `k8s:enc:` prefix so that an
 * unconfigured resource never hands ciphertext to the decoder (docs/FORMATS.md#identity). Inside a chain that
 * refusal is dropped by the empty-prefix rule of the prefix transformer.
 */
export const identityTransformer: Transformer = {
  async fromStorage(stored: Uint8Array): Promise<ReadResult> {
    if (startsWith(stored, ENCRYPTED_PREFIX)) {
      throw new K8sEncError('ERR_IDENTITY_ENCRYPTED', 'identity transformer tried to read encrypted data', {
        provider: 'identity',
      });
    }
    return { data: stored, stale: false };
  },
  async toStorage(data: Uint8Array): Promise<Uint8Array> {
    return data;
  },
};
