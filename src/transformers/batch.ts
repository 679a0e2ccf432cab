import { K8sEncError } from '../errors.ts';
import type { ReadItem, ReadResult, Transformer } from './types.ts';

/**
 * The outcome of one read in {@link fromStorageMany}: the result, or the K8sEncError it failed with.
 */
export type ReadOutcome = ReadResult | K8sEncError;

/**
 * Reads many values through one transformer: outcome i is what `fromStorage(items[i])` would
 * resolve to, or the K8sEncError it would reject with. Any other exception is a bug or an I/O
 * failure, not a property of one value, so it rejects the whole batch as it would the single call.
 */
export function fromStorageMany(transformer: Transformer, items: readonly ReadItem[]): Promise<ReadOutcome[]> {
  if (items.length === 0) return Promise.resolve([]);
  return transformer.fromStorageMany ? transformer.fromStorageMany(items) : fromStorageEach(transformer, items);
}

/** One call per item, one after another, as a caller without the batch API would do. */
export async function fromStorageEach(transformer: Transformer, items: readonly ReadItem[]): Promise<ReadOutcome[]> {
  const out: ReadOutcome[] = [];
  for (const { stored, authenticatedData } of items) {
    try {
      out.push(await transformer.fromStorage(stored, authenticatedData));
    } catch (e) {
      if (!(e instanceof K8sEncError)) throw e;
      out.push(e);
    }
  }
  return out;
}

/**
 * The shape of the AEAD fast paths: `openBatch` opens the values at `indices` (those at least
 * `minLength` long), null where authentication fails; every value it does not open goes through
 * `single`, the one-value code, so errors (rare in a scan: wrong key, copied or damaged value) come
 * from one place.
 */
export function openInBatch(
  items: readonly ReadItem[],
  minLength: number,
  openBatch: (indices: number[]) => (Uint8Array | null)[],
  single: (i: number) => Uint8Array,
): ReadOutcome[] {
  const indices = items.flatMap((it, i) => (it.stored.length >= minLength ? [i] : []));
  const opened = new Array<Uint8Array | null>(items.length).fill(null);
  openBatch(indices).forEach((data, k) => (opened[indices[k]!] = data));
  return opened.map((data, i) => (data !== null ? { data, stale: false } : readOutcome(() => single(i))));
}

function readOutcome(read: () => Uint8Array): ReadOutcome {
  try {
    return { data: read(), stale: false };
  } catch (e) {
    if (!(e instanceof K8sEncError)) throw e;
    return e;
  }
}
