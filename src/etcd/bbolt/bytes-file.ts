import { K8sEncError } from '../../errors.ts';
import { BlockFile } from './block-file.ts';

/**
 * A snapshot already in memory (downloaded, or made by a test) as the snapshot reader's file:
 * reads go through the same block cache and bounds as a file on disk, with no file descriptor
 * or Web Worker needed.
 */
export class BytesFile extends BlockFile {
  private bytes: Uint8Array | null;

  constructor(bytes: Uint8Array, name: string) {
    super(name, bytes.length);
    this.bytes = bytes;
  }

  protected readInto(buf: Uint8Array, offset: number): Uint8Array {
    if (this.bytes === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    const end = Math.min(offset + buf.length, this.bytes.length);
    if (end - offset !== buf.length) {
      throw new K8sEncError('ERR_IO', `short read at byte ${Math.max(offset, end)} (past the end of the data)`, { file: this.path });
    }
    buf.set(this.bytes.subarray(offset, end));
    return buf;
  }

  /** The bytes are in memory already: a view of them, as a mapped file gives (no copy for pass 2). */
  override view(offset: number, length: number): Uint8Array | null {
    return this.bytes === null || offset + length > this.bytes.length ? null : this.bytes.subarray(offset, offset + length);
  }

  override close(): void {
    this.bytes = null;
    super.close();
  }
}
