/**
 * Applies `fn` to each item with at most `concurrency` calls in flight and yields the results in
 * the items' order: the pipeline shape for scans (chunks of values out to workers, their text back
 * in key order).
 */
export async function* mapOrdered<T, R>(
  items: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const inFlight: Promise<R>[] = [];
  try {
    for await (const item of items) {
      const p = fn(item);
      // A rejection is reported when its turn comes; until then it must not count as unhandled.
      p.catch(() => {});
      inFlight.push(p);
      if (inFlight.length >= concurrency) yield await inFlight.shift()!;
    }
    while (inFlight.length > 0) yield await inFlight.shift()!;
  } finally {
    inFlight.length = 0;
  }
}
