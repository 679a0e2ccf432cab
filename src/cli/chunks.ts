/**
 * Groups a stream into arrays of up to `size` items (and, with `weigh`, up to `maxWeight` in total,
 * a chunk holding at least one item), in order, so scans can decrypt a batch at a time while
 * holding only one batch.
 */
export async function* inChunks<T>(
  items: AsyncIterable<T>,
  size: number,
  weigh: (item: T) => number = () => 0,
  maxWeight = Infinity,
): AsyncIterable<T[]> {
  let chunk: T[] = [];
  let weight = 0;
  for await (const item of items) {
    chunk.push(item);
    weight += weigh(item);
    if (chunk.length === size || weight >= maxWeight) {
      yield chunk;
      chunk = [];
      weight = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Values per batch in the scans: large enough to amortise a batch call, small enough to stream. */
export const SCAN_CHUNK = 512;
/**
 * Stored bytes per batch: with big values (64 KiB Secrets), 512 of them would hold ~100 MB of
 * values, plaintexts and output text at once, several times over with chunks in flight. 1 MiB
 * rather than 2: `get` over a 2 GiB snapshot of 48 KiB Secrets peaked ~40 MB lower on 2 threads,
 * at the same speed over 100,000 small values (bench/README.md).
 */
export const SCAN_CHUNK_BYTES = 1 << 20;
