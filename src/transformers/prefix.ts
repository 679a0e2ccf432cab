import { K8sEncError, type K8sEncErrorCode } from '../errors.ts';
import { concatBytes, startsWith, toBytes } from '../bytes.ts';
import type { ReadResult, Transformer } from './types.ts';

export interface PrefixEntry {
  prefix: Uint8Array;
  transformer: Transformer;
  /** Recorded on errors from this entry, e.g. `aescbc`, `kms:v1:<name>`. */
  provider: string;
}

/**
 * The apiserver's prefix transformer (SPEC §2.1): every entry whose prefix matches is tried in
 * order, a failure never ends the loop, errors of empty-prefix entries (identity) are dropped, and
 * anything but the first entry reads as stale. Writes go to the first entry.
 */
export function createPrefixTransformer(
  entries: PrefixEntry[],
  fallbackError: string,
  fallbackCode: K8sEncErrorCode = 'ERR_NO_MATCHING_PREFIX',
): Transformer {
  const first = entries[0];
  if (first === undefined) {
    throw new K8sEncError('ERR_CONFIG_INVALID', 'a prefix transformer needs at least one provider');
  }
  return {
    async fromStorage(stored: Uint8Array, authenticatedData: Uint8Array | string): Promise<ReadResult> {
      const ad = toBytes(authenticatedData);
      let errors: K8sEncError[] | undefined;
      for (let i = 0; i < entries.length; i++) {
        const { prefix, transformer, provider } = entries[i]!;
        if (!startsWith(stored, prefix)) continue;
        let r: ReadResult;
        try {
          r = await transformer.fromStorage(stored.subarray(prefix.length), ad);
        } catch (e) {
          if (!(e instanceof K8sEncError)) throw e;
          e.with({ provider });
          // Upstream crashes here, so no later entry may produce plaintext either.
          if (e.code === 'ERR_UPSTREAM_PANIC') throw e;
          if (prefix.length !== 0) (errors ??= []).push(e);
          continue;
        }
        return i === 0 || r.stale ? r : { data: r.data, stale: true };
      }
      throw errors === undefined ? new K8sEncError(fallbackCode, fallbackError) : aggregateErrors(errors);
    },
    async toStorage(data: Uint8Array, authenticatedData: Uint8Array | string): Promise<Uint8Array> {
      try {
        return concatBytes(first.prefix, await first.transformer.toStorage(data, authenticatedData));
      } catch (e) {
        throw e instanceof K8sEncError ? e.with({ provider: first.provider }) : e;
      }
    },
  };
}

/**
 * apimachinery's utilerrors aggregate: one error stays itself; several are flattened depth-first,
 * repeated messages dropped, and shown as `[a, b]` unless a single message survives.
 */
export function aggregateErrors(errors: K8sEncError[]): K8sEncError {
  if (errors.length === 1) return errors[0]!;
  const seen = new Set<string>();
  const unique: K8sEncError[] = [];
  const visit = (list: K8sEncError[]): void => {
    for (const e of list) {
      if (e.code === 'ERR_MULTIPLE' && e.errors !== undefined) visit(e.errors);
      else if (!seen.has(e.message)) {
        seen.add(e.message);
        unique.push(e);
      }
    }
  };
  visit(errors);
  if (unique.length === 1) return unique[0]!;
  return new K8sEncError('ERR_MULTIPLE', `[${unique.map((e) => e.message).join(', ')}]`, { errors: unique });
}
