/**
 * Peak RSS over a ~2 GiB snapshot: 40,960 aesgcm Secrets of ~64 KiB (2.07 GB) (bigger values reach 2 GiB in
 * minutes rather than the hour a million 2 KiB puts take; etcd runs with an 8 GiB quota, its
 * default 2 GiB would refuse the last puts). The bound: ≤ 256 MB for verify and get -A.
 * Building takes several minutes once (cached in bench/.work/), so the suite runs only when named:
 * `npx tsx bench/run.ts --only=snapshot-2gib`.
 */
import type { Row } from './results.ts';
import { runSnapshot } from './snapshot.ts';

const SECRETS = 40_960;
/** secret()'s size: ~48 KiB of random certificate, ~64 KiB once base64-encoded into the object. */
const SIZE = 48 << 10;

export async function runSnapshot2GiB(): Promise<Row[]> {
  const named = process.argv.some((a) => a.startsWith('--only=') && a.slice(7).split(',').includes('snapshot-2gib'));
  if (!named) {
    console.log('snapshot-2gib: skipped (several minutes; run it with --only=snapshot-2gib)');
    return [];
  }
  return runSnapshot({ secrets: SECRETS, size: SIZE, reps: 1, etcdArgs: [`--quota-backend-bytes=${8 * 2 ** 30}`] });
}
