/**
 * `--salvage`: an EtcdSource over a damaged snapshot or member db that returns every value still
 * intact instead of stopping at the first damaged page (plan.ts says how). The report lists the
 * damaged pages and the revisions they could have held; a key whose newest surviving revision may
 * have been superseded in such a range says so on its scan item.
 */
import { fromUtf8 } from '../../bytes.ts';
import { K8sEncError } from '../../errors.ts';
import { decodeKeyValue } from '../mvcc/keyvalue.ts';
import { fromLatin1, latin1 } from '../mvcc/key-index.ts';
import { checkDatabaseFile, openDatabaseFile, type DatabaseExtent } from '../snapshot-file.ts';
import type { EtcdEntry, EtcdRevisionInfo, EtcdSource, ScanItem } from '../source.ts';
import type { BlockFile } from '../bbolt/block-file.ts';
import { BytesFile } from '../bbolt/bytes-file.ts';
import { compareRev, type KeyEntry } from './key-entries.ts';
import { mayBeSuperseded, salvagePlan, type DamagedRange, type SalvagePlan } from './plan.ts';

/**
 * What `--salvage` found wrong with the file: notes, the damaged page ranges (with the revisions
 * they could have held), and whether the meta pages were damaged.
 */
export interface SalvageReport {
  notes: string[];
  damaged: DamagedRange[];
  metaDamaged: boolean;
}

/**
 * Opens a damaged snapshot or member db at `path` for salvage: the sha256 trailer is not checked,
 * and damaged pages are skipped instead of failing the read (see {@link SalvageSource}). Throws
 * ERR_INPUT (a folder or zip archive), ERR_IO (cannot open or read) and ERR_BBOLT_CORRUPT (no
 * usable meta page or page size), with `file` set.
 *
 * @example
 * ```ts
 * const src = await openSalvage('damaged.db');
 * for await (const item of src.scan(new TextEncoder().encode('/registry/secrets/'))) if (item.ok) console.log(item.entry.key);
 * console.log(src.report().damaged);
 * await src.close();
 * ```
 */
export async function openSalvage(path: string): Promise<SalvageSource> {
  // A damaged file cannot match its sha256 trailer: salvage reads it anyway (and says so).
  const { file, dataSize, hasHash } = await openDatabaseFile(path, { skipHashCheck: true });
  return salvageOver(file, dataSize, hasHash);
}

/** {@link openSalvage} over a snapshot or member db held in memory; `name` stands for the file in messages. */
export async function openSalvageBytes(bytes: Uint8Array, name = 'snapshot'): Promise<SalvageSource> {
  const file = new BytesFile(bytes, name);
  let extent: DatabaseExtent;
  try {
    extent = await checkDatabaseFile(file, { skipHashCheck: true }, () => {
      throw new Error('salvage never hashes the trailer');
    });
  } catch (e) {
    file.close();
    throw e;
  }
  return salvageOver(file, extent.dataSize, extent.hasHash);
}

/** The salvage source over an opened file whose first `dataSize` bytes are the database; closes the file on failure. */
function salvageOver(file: BlockFile, dataSize: number, hasHash: boolean): SalvageSource {
  try {
    const plan = salvagePlan(file, dataSize);
    if (hasHash) plan.notes.unshift('the sha256 trailer is not checked (--salvage implies --skip-hash-check)');
    return new SalvageSource(file, plan);
  } catch (e) {
    file.close();
    if (e instanceof K8sEncError) e.with({ file: file.path });
    throw e;
  }
}

/**
 * An {@link EtcdSource} that returns every value still intact in a damaged file; `report()` says
 * what was damaged. Get one from {@link openSalvage}. Reads at a revision throw ERR_ETCD_COMPACTED
 * (below the compact revision) or ERR_USAGE (a future revision).
 */
export class SalvageSource implements EtcdSource {
  constructor(
    private readonly file: BlockFile,
    private readonly plan: SalvagePlan,
  ) {}

  report(): SalvageReport {
    return { notes: this.plan.notes, damaged: this.plan.damaged, metaDamaged: this.plan.metaDamaged };
  }

  async info(): Promise<EtcdRevisionInfo> {
    return { revision: this.plan.revision, compactRevision: this.plan.compactRevision };
  }

  private checkRevision(revision: number | undefined): number {
    if (revision === undefined || revision === 0) return 0;
    if (revision < this.plan.compactRevision) throw new K8sEncError('ERR_ETCD_COMPACTED', 'required revision has been compacted');
    if (revision > this.plan.revision) throw new K8sEncError('ERR_USAGE', 'required revision is a future revision');
    return revision;
  }

  /**
   * Per key under `prefix`, its newest entry at the revision, in key order. A delete on a page with
   * damage inside it may be another key's, renamed: the key's newest put before it comes back
   * instead (flagged, as that page's revisions are a damaged range).
   */
  private newest(prefix: Uint8Array, exact: boolean, revision: number): KeyEntry[] {
    const want = latin1(prefix);
    const best = new Map<string, KeyEntry>();
    const bestPut = new Map<string, KeyEntry>();
    for (const e of this.plan.entries) {
      if (revision > 0 && e.main > revision) continue;
      if (exact ? e.name !== want : !e.name.startsWith(want)) continue;
      const b = best.get(e.name);
      if (b === undefined || compareRev(e, b) > 0) best.set(e.name, e);
      const p = bestPut.get(e.name);
      if (!e.tombstone && (p === undefined || compareRev(e, p) > 0)) bestPut.set(e.name, e);
    }
    const out: KeyEntry[] = [];
    for (const e of best.values()) {
      if (!e.tombstone) out.push(e);
      else if (this.plan.suspectPages.has(e.page) && bestPut.has(e.name)) out.push(bestPut.get(e.name)!);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  private item(e: KeyEntry, revision: number): ScanItem {
    const key = fromLatin1(e.name);
    let entry: EtcdEntry;
    try {
      const inline = this.plan.inlineValues.get(e);
      const r = inline === undefined ? this.plan.pages.read(e.page) : null;
      if (typeof r === 'string') throw new K8sEncError('ERR_BBOLT_CORRUPT', `page ${e.page}: ${r}`, { page: e.page });
      const kv = decodeKeyValue(inline ?? r!.node.value(e.index));
      entry = { ...kv, key: kv.key.slice(), value: kv.value.slice() };
    } catch (err) {
      // The plan read this entry, so the file changed since: report it for this key and go on.
      const msg = `cannot read revision ${e.main}_${e.sub} again: ${err instanceof Error ? err.message : String(err)}`;
      return { ok: false, error: new K8sEncError('ERR_ETCD_CORRUPT', msg, { page: e.page, etcdKey: fromUtf8(key) }), key };
    }
    return mayBeSuperseded(e, this.plan.damaged, revision) ? { ok: true, entry, mayBeSuperseded: true } : { ok: true, entry };
  }

  async *scan(prefix: Uint8Array, opts: { revision?: number } = {}): AsyncIterable<ScanItem> {
    const revision = this.checkRevision(opts.revision);
    for (const e of this.newest(prefix, false, revision)) yield this.item(e, revision);
  }

  /** One key as a scan item, so that `mayBeSuperseded` and a per-key error reach the caller; null when absent. */
  async getItem(key: Uint8Array, opts: { revision?: number } = {}): Promise<ScanItem | null> {
    const revision = this.checkRevision(opts.revision);
    const e = this.newest(key, true, revision)[0];
    return e === undefined ? null : this.item(e, revision);
  }

  async get(key: Uint8Array, opts: { revision?: number } = {}): Promise<EtcdEntry | null> {
    const item = await this.getItem(key, opts);
    if (item !== null && !item.ok) throw item.error;
    return item?.entry ?? null;
  }

  async close(): Promise<void> {
    this.file.close();
  }
}
