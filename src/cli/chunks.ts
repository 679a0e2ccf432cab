/**
 * Groups a stream into arrays of up to `size` items, in order, so scans can decrypt a batch at a
 * time while holding only one batch.
 */
export async function* inChunks<T>(items: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Values per batch in the scans: large enough to amortise a batch call, small enough to stream. */
export const SCAN_CHUNK = 512;
