/**
 * One scan chunk in, its output text out: the per-chunk work of `verify` and `get -o ndjson|name`,
 * shared by the single-thread scans and the scan workers (scan-worker.ts) so both print the same
 * bytes.
 */
import type { EncryptionConfig } from '../config/types.ts';
import { fromUtf8 } from '../bytes.ts';
import { keyResource } from '../etcd/keys.ts';
import type { ScanItem } from '../etcd/source.ts';
import { forRestore, type RestoreOptions } from '../storage/output.ts';
import { objectLine } from './object-output.ts';
import { printable, shown } from './printable.ts';
import { checkReport, decodeReport, type ValueReader, type ValueReport } from '../value/reader.ts';

export type VerifyRecord = Omit<ValueReport, 'object' | 'code' | 'data'> & {
  /** `--salvage` only: a damaged page could have held a newer revision (or the delete) of this key. */
  mayBeSuperseded?: true;
};
/**
 * What the summary, the progress line and the HTML report need of a record: the key and error
 * only where the report lists them (failed or stale values).
 */
export type VerifyMark = Pick<VerifyRecord, 'status' | 'provider' | 'keyName' | 'stale' | 'resource' | 'mayBeSuperseded'> &
  Partial<Pick<VerifyRecord, 'key' | 'error'>>;

function markOf(rec: VerifyRecord): VerifyMark {
  const { status, provider, keyName, stale, resource } = rec;
  const mark: VerifyMark = { status, provider, keyName, stale, resource, ...(rec.mayBeSuperseded && { mayBeSuperseded: true }) };
  return status === 'error' || stale === true ? { ...mark, key: rec.key, error: rec.error } : mark;
}
export type VerifyFormat = 'table' | 'ndjson';

/** `rec` counts under `mark` (a mark without a key: records with one are never counted together). */
function sameMark(mark: VerifyMark, rec: VerifyRecord): boolean {
  return (
    rec.status === mark.status &&
    rec.stale === mark.stale &&
    rec.status !== 'error' &&
    rec.stale !== true &&
    rec.provider === mark.provider &&
    rec.keyName === mark.keyName &&
    rec.resource === mark.resource &&
    rec.mayBeSuperseded === mark.mayBeSuperseded
  );
}

/**
 * A chunk's marks, alike ones counted together (in the order each first appears, so summaries and
 * reports list rows as they would one mark at a time): 100,000 mark objects cost ~0.25 s to
 * clone between threads. Marks that carry a key (failed or stale values) come one by one.
 */
export interface MarkCount {
  mark: VerifyMark;
  count: number;
}

/** Widths of the verify table's STATUS, PROVIDER, KEY-NAME and STALE columns. */
export type Columns = readonly number[];
export const DEFAULT_COLUMNS: Columns = [10, 10, 12, 6];

/**
 * The table's columns as wide as the configuration's provider and key names (a streamed table
 * cannot wait for its rows to measure them; the configuration names nearly every key met).
 */
export function columnsFor(config: EncryptionConfig | null): Columns {
  let provider = DEFAULT_COLUMNS[1]!;
  let key = DEFAULT_COLUMNS[2]!;
  for (const p of (config?.resources ?? []).flatMap((r) => r.providers)) {
    provider = Math.max(provider, (p.type === 'kms' ? `kms:${p.apiVersion}` : p.type).length + 1);
    const names = p.type === 'kms' ? [p.name] : 'keys' in p ? p.keys.map((k) => k.name) : [];
    for (const n of names) key = Math.max(key, shown(n).length + 1);
  }
  return [DEFAULT_COLUMNS[0]!, provider, key, DEFAULT_COLUMNS[3]!];
}

/** Values padded to their columns, joined by a space. */
export const cells = (values: string[], columns: Columns = DEFAULT_COLUMNS) => values.map((v, i) => v.padEnd(columns[i] ?? 0)).join(' ');

function tableRow(r: VerifyRecord, columns: Columns): string {
  const row = cells([r.status, shown(r.provider ?? '-'), shown(r.keyName ?? '-'), r.stale === null ? '-' : String(r.stale)], columns);
  return `${row} ${shown(r.key)}${r.error === null ? '' : `  ${printable(r.error)}`}${r.mayBeSuperseded ? '  (may be superseded: see salvage report)' : ''}\n`;
}

/** A scan item's weight for chunking: its stored value's size. */
export const storedBytes = (item: ScanItem): number => (item.ok ? item.entry.value.length : 0);

/** The chunk's records in order: its values decrypted in one batch per resource, then decoded one by one. */
export async function verifyRecords(items: ScanItem[], reader: ValueReader, etcdPrefix: string): Promise<VerifyRecord[]> {
  const values = items.flatMap((item) => (item.ok ? [{ key: item.entry.key, value: item.entry.value }] : []));
  const reports = await reader.readMany(values, { decode: false });
  let k = 0;
  return items.map((item): VerifyRecord => {
    if (item.ok) {
      const r = checkReport(reports[k++]!);
      // The report's fields but object, code and data, in the report's order (that is the JSON's).
      const rec: VerifyRecord = {
        key: r.key,
        resource: r.resource,
        provider: r.provider,
        keyName: r.keyName,
        status: r.status,
        stale: r.stale,
        error: r.error,
      };
      if (r.upstreamError !== undefined) rec.upstreamError = r.upstreamError;
      if (item.mayBeSuperseded) rec.mayBeSuperseded = true;
      return rec;
    }
    const key = item.key === undefined ? '' : fromUtf8(item.key);
    return {
      key,
      resource: keyResource(key, etcdPrefix),
      status: 'error',
      provider: null,
      keyName: null,
      stale: null,
      error: item.error.message,
    };
  });
}

/** `--failures-only`: print the failed records only (all are counted); `columns`: the table's widths. */
export interface VerifyPrintOptions {
  failuresOnly?: boolean;
  columns?: Columns;
}

export async function verifyChunk(
  items: ScanItem[],
  reader: ValueReader,
  etcdPrefix: string,
  format: VerifyFormat,
  opts: VerifyPrintOptions = {},
): Promise<{ text: string; marks: MarkCount[] }> {
  let text = '';
  const marks: MarkCount[] = [];
  const alike = new Map<string, MarkCount>();
  let last: MarkCount | undefined;
  for (const rec of await verifyRecords(items, reader, etcdPrefix)) {
    // The common case: like the one before.
    if (last !== undefined && sameMark(last.mark, rec)) last.count++;
    else {
      const mark = markOf(rec);
      if (mark.key !== undefined) marks.push({ mark, count: 1 });
      else {
        const id = `${mark.status}\0${mark.provider}\0${mark.keyName}\0${mark.stale}\0${mark.resource}\0${mark.mayBeSuperseded}`;
        last = alike.get(id);
        if (last !== undefined) last.count++;
        else alike.set(id, (last = marks[marks.push({ mark, count: 1 }) - 1]!));
      }
    }
    if (opts.failuresOnly === true && rec.status !== 'error') continue;
    text += format === 'ndjson' ? JSON.stringify(rec) + '\n' : tableRow(rec, opts.columns ?? DEFAULT_COLUMNS);
  }
  return { text, marks };
}

/** The stderr line of a value `get` could not read: `error: KEY: why`, printable. */
export function failureNote(item: ScanItem, report: ValueReport | null): string {
  const key = item.ok ? item.entry.key : item.key;
  const where = key === undefined ? '' : `${shown(fromUtf8(key))}: `;
  return `error: ${where}${printable(item.ok ? report!.error! : item.error.message)}`;
}

/** `get`'s line formats, where each object is printed on its own, independent of its neighbours. */
export type LineFormat = 'ndjson' | 'name';

/** Objects as lines for stdout, failures as notes for stderr, each in key order. */
export async function getChunk(
  items: ScanItem[],
  reader: ValueReader,
  resource: string,
  format: LineFormat,
  /** --for-restore's options, or false without it. */
  restore: false | RestoreOptions,
): Promise<{ text: Uint8Array; notes: string[]; found: number }> {
  const values = items.flatMap((item) => (item.ok ? [{ key: item.entry.key, value: item.entry.value, resource }] : []));
  const reports = await reader.readMany(values, { decode: false });
  let k = 0;
  // A JSON line holds the object's data in base64 (4/3 of it) plus its field names: ~1.4× stored.
  const text = new Utf8Lines(format === 'ndjson' ? Math.ceil(1.5 * values.reduce((n, v) => n + v.value.length, 0)) : 4096);
  let found = 0;
  const notes: string[] = [];
  for (const item of items) {
    const report = item.ok ? decodeReport(reports[k++]!) : null;
    if (!item.ok || report?.object === undefined) {
      notes.push(failureNote(item, report));
      continue;
    }
    found++;
    const obj = restore ? forRestore(report.object, restore) : report.object;
    // As createObjectWriter prints a line (object-output.ts): the tests compare the two byte for byte.
    text.add(objectLine(obj, format));
  }
  return { text: text.bytes(), notes, found };
}

const encoder = new TextEncoder();

/**
 * A chunk's output as UTF-8, encoded line by line into one buffer: a chunk of big objects as one
 * string (MBs, in V8's large-object space until a full collection) and then its encoded copy
 * pushed the 2-worker scan of a 2 GiB snapshot well past 256 MB.
 */
export class Utf8Lines {
  private buf: Uint8Array;
  private len = 0;

  /** `expected`: bytes the chunk's lines will probably take (they grow the buffer if not). */
  constructor(expected: number) {
    this.buf = new Uint8Array(Math.max(4096, expected));
  }

  add(line: string): void {
    for (let rest = line; ; ) {
      const { read, written } = encoder.encodeInto(rest, this.buf.subarray(this.len));
      this.len += written;
      if (read === rest.length) return;
      rest = rest.slice(read);
      const bigger = new Uint8Array(Math.max(2 * this.buf.length, this.len + 3 * rest.length));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
  }

  /** The text so far (a view: the builder is not used after this). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
