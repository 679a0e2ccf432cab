import { K8sEncError } from '../../errors.ts';
import { BlockFile } from './block-file.ts';

/** The one synchronous way to read a Blob; it exists in (dedicated) Web Workers only. */
type SyncBlobReader = { readAsArrayBuffer(blob: Blob): ArrayBuffer };

/**
 * A Blob (a File the user chose) as the snapshot reader's file: each block is `blob.slice`d and
 * read synchronously, so a many-GiB snapshot streams through the 8 MiB block cache instead of
 * being loaded whole. Synchronous reads are what the page walk needs, and browsers only offer
 * them in workers (FileReaderSync): open snapshots there.
 */
export class BlobFile extends BlockFile {
  private reader: SyncBlobReader | null;

  constructor(
    private readonly blob: Blob,
    name: string,
  ) {
    super(name, blob.size);
    const Reader = (globalThis as { FileReaderSync?: new () => SyncBlobReader }).FileReaderSync;
    if (Reader === undefined) {
      throw new K8sEncError('ERR_IO', 'reading a snapshot from a Blob needs FileReaderSync: run it in a Web Worker', { file: name });
    }
    this.reader = new Reader();
  }

  /**
   * Always whole blocks: a FileReaderSync call costs about a millisecond whatever its size, so the
   * scattered-read hint (read just this page) would make every value a call of its own.
   */
  override read(offset: number, length: number): Uint8Array {
    return super.read(offset, length, true);
  }

  protected readInto(buf: Uint8Array, offset: number): Uint8Array {
    if (this.reader === null) throw new K8sEncError('ERR_IO', 'file is closed', { file: this.path });
    let got: Uint8Array;
    try {
      got = new Uint8Array(this.reader.readAsArrayBuffer(this.blob.slice(offset, offset + buf.length)));
    } catch (e) {
      throw new K8sEncError('ERR_IO', `cannot read ${this.path} at byte ${offset}: ${(e as Error).message}`, { file: this.path, cause: e });
    }
    if (got.length !== buf.length) {
      throw new K8sEncError('ERR_IO', `short read at byte ${offset + got.length} (file changed while reading?)`, { file: this.path });
    }
    buf.set(got);
    return buf;
  }

  override close(): void {
    this.reader = null;
    super.close();
  }
}
