import { K8sEncError } from '../errors.ts';

/** aes.NewCipher accepts exactly these sizes; aescbc and aesgcm both build on it (docs/FORMATS.md#aes-gcm-core). */
export function checkAesKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new K8sEncError('ERR_INVALID_KEY', `crypto/aes: invalid key size ${key.length}`);
  }
}
