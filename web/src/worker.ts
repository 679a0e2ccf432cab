/**
 * The page's snapshot worker: opens the dropped File with the library's snapshot reader (pages
 * read on demand through BlobFile, never the whole file at once), verifies every value as
 * `k8s-enc verify` does, and later decodes single objects when the page asks for them. The
 * values stay here; only records, the summary and single objects go to the page.
 */
import { utf8 } from '../../src/bytes.ts';
import { VerifyReportCollector } from '../../src/cli/verify-report.ts';
import { verifyRecords } from '../../src/cli/scan-format.ts';
import { createValueReader, decodeReport, type ValueReader } from '../../src/value/reader.ts';
import { newSummary, summarize, summaryLines } from '../../src/cli/verify-summary.ts';
import { parseEncryptionConfig } from '../../src/config/parse.ts';
import { normalizeEtcdPrefix } from '../../src/etcd/keys.ts';
import type { ScanItem } from '../../src/etcd/source.ts';
import { openSnapshotBlob } from '../../src/etcd/snapshot-blob.ts';
import type { SnapshotSource, ValueLocation } from '../../src/etcd/snapshot.ts';
import { K8sEncError } from '../../src/errors.ts';
import { toYaml } from '../../src/storage/output.ts';
import type { Secret } from '../../src/storage/types.ts';
import type { FromWorker, ObjectView, PageRecord, ToWorker } from './messages.ts';
import type { VerifyRecord } from '../../src/cli/scan-format.ts';
import { secretData } from './secret-data.ts';

/** Values verified per step: progress stays live and at most a few MB of values are held at once. */
const STEP_ENTRIES = 1024;
const STEP_BYTES = 8 << 20;

interface Opened {
  source: SnapshotSource;
  reader: ValueReader;
  /** Record i >= problems is the value at locations[i - problems]. */
  problems: number;
  locations: ValueLocation[];
  records: PageRecord[];
}

let opened: Opened | null = null;
const post = (m: FromWorker) => (self as unknown as { postMessage(m: FromWorker): void }).postMessage(m);

function describe(e: unknown): string {
  if (e instanceof K8sEncError) return e.describe();
  return `internal error: ${e instanceof Error ? e.message : String(e)}`;
}

async function scan(m: Extract<ToWorker, { type: 'scan' }>): Promise<void> {
  const started = performance.now();
  await opened?.source.close();
  opened = null;
  const config = parseEncryptionConfig(utf8(m.config));
  const { source, hasHash } = await openSnapshotBlob(m.file, {
    onHashProgress: (done, total) => post({ type: 'progress', phase: 'hash', done, total }),
  });
  post({ type: 'progress', phase: 'index', done: 0, total: 1 });
  const plan = await source.plan(utf8(normalizeEtcdPrefix(m.etcdPrefix) + '/'));
  const reader = createValueReader(config, m.etcdPrefix);
  // Values are read in file order, not key order: a key-ordered batch touches most of the file
  // (etcd's pages hold keys in revision order), and each read of a Blob costs about a millisecond.
  const problems = await verifyRecords(
    plan.problems.map((error): ScanItem => ({ ok: false, error })),
    reader,
    m.etcdPrefix,
  );
  const byKey = plan.locations;
  const records: VerifyRecord[] = new Array(problems.length + byKey.length);
  problems.forEach((r, i) => (records[i] = r));
  const inFileOrder = byKey.map((_, i) => i).sort((a, b) => byKey[a]!.page - byKey[b]!.page);
  for (let from = 0; from < inFileOrder.length; ) {
    let to = from;
    for (let bytes = 0; to < inFileOrder.length && to - from < STEP_ENTRIES && bytes < STEP_BYTES; to++)
      bytes += byKey[inFileOrder[to]!]!.size;
    const step = inFileOrder.slice(from, to);
    const got = await verifyRecords(source.read(step.map((i) => byKey[i]!)), reader, m.etcdPrefix);
    step.forEach((i, k) => (records[problems.length + i] = got[k]!));
    from = to;
    post({ type: 'progress', phase: 'read', done: from, total: inFileOrder.length });
  }
  // Counted in key order, as verify counts them: the summary's rows come in order of first appearance.
  const summary = newSummary();
  const report = new VerifyReportCollector();
  for (const r of records) {
    summarize(summary, r);
    report.add(r);
  }
  const state: Opened = { source, reader, problems: problems.length, locations: byKey, records };
  opened = state;
  const { revision } = await source.info();
  post({
    type: 'scanned',
    records,
    summary,
    summaryText: summaryLines(summary).join('\n'),
    rows: report.chartRows(),
    revision,
    hashChecked: hasHash,
    millis: performance.now() - started,
  });
}

async function objectAt(index: number): Promise<ObjectView> {
  if (opened === null) return { key: '', error: 'no snapshot is open' };
  const record = opened.records[index];
  const location = opened.locations[index - opened.problems];
  if (record === undefined) return { key: '', error: `no record ${index}` };
  if (location === undefined || record.status === 'error') return { key: record.key, error: record.error ?? 'not readable' };
  const item = opened.source.read([location])[0]!;
  if (!item.ok) return { key: record.key, error: item.error.message };
  const r = decodeReport(await opened.reader.read(item.entry.key, item.entry.value));
  if (r.object === undefined) return { key: record.key, error: r.error ?? 'does not decode' };
  const view: ObjectView = { key: record.key, yaml: toYaml(r.object) };
  if (r.object.kind === 'Secret') view.secretData = secretData(r.object as Secret);
  return view;
}

export function startWorker(): void {
  self.onmessage = (e: MessageEvent<ToWorker>) => {
    const m = e.data;
    const work = m.type === 'scan' ? scan(m) : objectAt(m.index).then((view) => post({ type: 'object', index: m.index, view }));
    work.catch((err: unknown) => post({ type: 'error', message: describe(err) }));
  };
}
