import type { K8sEncError } from '../errors.ts';
import type { RandomSource } from './types.ts';

/**
 * Draws the one IV/nonce a write needs. A source that throws or returns fewer bytes behaves like a
 * failing io.ReadFull upstream, whose reason ("EOF", "unexpected EOF") some messages wrap.
 */
export function readRandom(random: RandomSource, n: number, fail: (reason: string) => K8sEncError): Uint8Array {
  let b: unknown;
  try {
    b = random(n);
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e));
  }
  if (!(b instanceof Uint8Array) || b.length < n) {
    throw fail(b instanceof Uint8Array && b.length > 0 ? 'unexpected EOF' : 'EOF');
  }
  return b.length === n ? b : b.subarray(0, n);
}
