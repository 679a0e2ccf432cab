import { K8sEncError, type K8sEncErrorCode } from '../errors.ts';
import { concatBytes, startsWith, toBytes } from '../bytes.ts';
import { fromStorageMany } from './batch.ts';
import type { ReadItem, ReadResult, Transformer } from './types.ts';

/**
 * One provider of a {@link createPrefixTransformer} chain: the value prefix it owns and the
 * transformer that reads what follows it.
 */
export interface PrefixEntry {
  prefix: Uint8Array;
  transformer: Transformer;
  /** Recorded on errors from this entry, e.g. `aescbc`, `kms:v1:<name>`. */
  provider: string;
}

/**
 * The apiserver's prefix transformer (docs/FORMATS.md#prefix-chains): every entry whose prefix matches is tried in
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
  const fail = (errors: K8sEncError[] | undefined): K8sEncError =>
    errors === undefined ? new K8sEncError(fallbackCode, fallbackError) : aggregateErrors(errors);
  return {
    async fromStorage(stored: Uint8Array, authenticatedData: Uint8Array | string): Promise<ReadResult> {
      const ad = toBytes(authenticatedData);
      const read: ChainRead = {};
      for (let i = 0; i < entries.length; i++) {
        const { prefix, transformer } = entries[i]!;
        if (!startsWith(stored, prefix)) continue;
        let outcome: ReadResult | K8sEncError;
        try {
          outcome = await transformer.fromStorage(stored.subarray(prefix.length), ad);
        } catch (e) {
          if (!(e instanceof K8sEncError)) throw e;
          outcome = e;
        }
        const done = settle(read, i, entries[i]!, outcome);
        if (done instanceof K8sEncError) throw done;
        if (done !== undefined) return done;
      }
      throw fail(read.errors);
    },
    // Round i hands entry i every value still unread whose bytes match its prefix, so each value
    // meets the entries in the same order, with the same outcomes, as in fromStorage.
    async fromStorageMany(items: readonly ReadItem[]): Promise<(ReadResult | K8sEncError)[]> {
      const reads = items.map((it): ChainRead & { ad: Uint8Array } => ({ ad: toBytes(it.authenticatedData) }));
      const out: (ReadResult | K8sEncError | undefined)[] = new Array(items.length).fill(undefined);
      for (let i = 0; i < entries.length; i++) {
        const { prefix, transformer } = entries[i]!;
        const picked: number[] = [];
        for (let j = 0; j < items.length; j++) {
          if (out[j] === undefined && startsWith(items[j]!.stored, prefix)) picked.push(j);
        }
        if (picked.length === 0) continue;
        const outcomes = await fromStorageMany(
          transformer,
          picked.map((j) => ({ stored: items[j]!.stored.subarray(prefix.length), authenticatedData: reads[j]!.ad })),
        );
        picked.forEach((j, k) => (out[j] = settle(reads[j]!, i, entries[i]!, outcomes[k]!)));
      }
      return out.map((o, j) => o ?? fail(reads[j]!.errors));
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

/** What one value's read through the chain has collected so far. */
interface ChainRead {
  errors?: K8sEncError[];
}

/**
 * One entry's outcome for a value: the chain's answer (plaintext, or an error that ends it), or
 * undefined to try the next entry. A failure never ends the loop except an upstream panic, since
 * upstream crashes there and no later entry may produce plaintext either; errors of empty-prefix
 * entries (identity) are dropped; anything but the first entry reads as stale.
 */
function settle(read: ChainRead, i: number, entry: PrefixEntry, outcome: ReadResult | K8sEncError): ReadResult | K8sEncError | undefined {
  if (!(outcome instanceof K8sEncError)) return i === 0 || outcome.stale ? outcome : { data: outcome.data, stale: true };
  outcome.with({ provider: entry.provider });
  if (outcome.code === 'ERR_UPSTREAM_PANIC') return outcome;
  if (entry.prefix.length !== 0) (read.errors ??= []).push(outcome);
  return undefined;
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
