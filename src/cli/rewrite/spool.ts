/**
 * The rewritten key-bucket entries of an offline rewrite, parked in a private temp file: they are
 * made while the source is read but belong after all of its entries in the new file, and a
 * snapshot's worth of them must not sit in memory.
 */
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { K8sEncError } from '../../errors.ts';
import type { BucketEntry } from '../../etcd/snapshot-writer.ts';

const BUFFER = 1 << 20;

export class EntrySpool {
  private readonly fd: number;
  private buf = new Uint8Array(BUFFER);
  private used = 0;
  private size = 0;
  count = 0;

  constructor(readonly path: string) {
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
    try {
      this.fd = openSync(path, flags, 0o600);
    } catch (e) {
      throw new K8sEncError('ERR_IO', `cannot create ${JSON.stringify(path)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        file: path,
      });
    }
  }

  add(key: Uint8Array, value: Uint8Array): void {
    const need = 8 + key.length + value.length;
    if (this.used + need > this.buf.length) this.flush();
    if (need > this.buf.length) this.buf = new Uint8Array(need);
    const dv = new DataView(this.buf.buffer, this.used, 8);
    dv.setUint32(0, key.length);
    dv.setUint32(4, value.length);
    this.buf.set(key, this.used + 8);
    this.buf.set(value, this.used + 8 + key.length);
    this.used += need;
    this.count++;
  }

  private flush(): void {
    for (let done = 0; done < this.used; ) done += writeSync(this.fd, this.buf, done, this.used - done, this.size + done);
    this.size += this.used;
    this.used = 0;
  }

  /** The entries in the order added (a fresh read each call). */
  *entries(): Iterable<BucketEntry> {
    this.flush();
    let chunk = new Uint8Array(BUFFER);
    let start = 0; // file offset of chunk[0]
    let have = 0;
    let at = 0;
    const ensure = (n: number): void => {
      if (at + n <= have) return;
      const rest = chunk.subarray(at, have);
      if (n > chunk.length) {
        const bigger = new Uint8Array(n);
        bigger.set(rest);
        chunk = bigger;
      } else chunk.copyWithin(0, at, have);
      start += at;
      have = rest.length;
      at = 0;
      while (have < n) {
        const got = readSync(this.fd, chunk, have, chunk.length - have, start + have);
        if (got === 0) throw new K8sEncError('ERR_IO', `spool ${this.path} ended early`, { file: this.path });
        have += got;
      }
    };
    for (let i = 0; i < this.count; i++) {
      ensure(8);
      const dv = new DataView(chunk.buffer, chunk.byteOffset + at, 8);
      const k = dv.getUint32(0);
      const v = dv.getUint32(4);
      ensure(8 + k + v);
      const key = chunk.subarray(at + 8, at + 8 + k);
      const value = chunk.subarray(at + 8 + k, at + 8 + k + v);
      at += 8 + k + v;
      yield { key, value };
    }
  }

  /** Closes and deletes the spool. */
  remove(): void {
    closeSync(this.fd);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
