import { fromUtf8, utf8 } from '../../bytes.ts';
import { normalizeEtcdPrefix, parseEtcdKey } from '../../etcd/keys.ts';
import type { ScanItem } from '../../etcd/source.ts';
import { CONFIG_OPTIONS, oneOf, parseCommandArgs, SOURCE_OPTIONS, str, UsageError } from '../args.ts';
import { inChunks, SCAN_CHUNK } from '../chunks.ts';
import { connectKmsPlugins } from '../kms.ts';
import { EXIT_OK, EXIT_VERIFY_FAILED, type CliIo, type Output } from '../io.ts';
import { startProgress } from '../progress.ts';
import { loadConfig, openSource, revisionOf } from '../sources.ts';
import { createValueReader, decodeReport, type ValueReader, type ValueReport } from '../value-reader.ts';

const OPTIONS = { ...CONFIG_OPTIONS, ...SOURCE_OPTIONS, output: { type: 'string', short: 'o' } } as const;

export type VerifyRecord = Omit<ValueReport, 'object' | 'code' | 'data'>;

export interface VerifySummary {
  keys: number;
  ok: number;
  plaintext: number;
  failed: number;
  stale: number;
  byProvider: { provider: string | null; keyName: string | null; values: number; stale: number; failed: number }[];
}

/** The chunk's records in order: its values decrypted in one batch per resource, then decoded one by one. */
async function recordsOf(items: ScanItem[], reader: ValueReader, etcdPrefix: string): Promise<VerifyRecord[]> {
  const values = items.flatMap((item) => (item.ok ? [{ key: item.entry.key, value: item.entry.value }] : []));
  const reports = await reader.readMany(values, { decode: false });
  let k = 0;
  return items.map((item): VerifyRecord => {
    if (item.ok) {
      const { object: _object, code: _code, data: _data, ...rec } = decodeReport(reports[k++]!);
      return rec;
    }
    const key = item.key === undefined ? '' : fromUtf8(item.key);
    return {
      key,
      resource: parseEtcdKey(key, etcdPrefix)?.resource ?? null,
      status: 'error',
      provider: null,
      keyName: null,
      stale: null,
      error: item.error.message,
    };
  });
}

function summarize(s: VerifySummary, r: VerifyRecord): void {
  s.keys++;
  if (r.status === 'ok') s.ok++;
  else if (r.status === 'plaintext') s.plaintext++;
  else s.failed++;
  if (r.stale === true) s.stale++;
  let row = s.byProvider.find((b) => b.provider === r.provider && b.keyName === r.keyName);
  if (!row) s.byProvider.push((row = { provider: r.provider, keyName: r.keyName, values: 0, stale: 0, failed: 0 }));
  row.values++;
  if (r.stale === true) row.stale++;
  if (r.status === 'error') row.failed++;
}

const COLUMNS = [10, 10, 12, 6] as const;
const cell = (v: string, i: number) => v.padEnd(COLUMNS[i]!);

function tableRow(r: VerifyRecord): string {
  const cells = [r.status, r.provider ?? '-', r.keyName ?? '-', r.stale === null ? '-' : String(r.stale)].map(cell).join(' ');
  return `${cells} ${r.key}${r.error === null ? '' : `  ${r.error}`}\n`;
}

async function writeTableSummary(out: Output, s: VerifySummary): Promise<void> {
  const lines = [
    '',
    `${s.keys} keys: ${s.ok} encrypted, ${s.plaintext} plaintext, ${s.failed} failed; ${s.stale} stale`,
    ['PROVIDER', 'KEY-NAME', 'VALUES', 'STALE'].map(cell).join(' ') + ' FAILED',
    ...s.byProvider.map(
      (b) => [b.provider ?? '(unknown)', b.keyName ?? '-', String(b.values), String(b.stale)].map(cell).join(' ') + ` ${b.failed}`,
    ),
  ];
  await out.write(lines.join('\n') + '\n');
}

export async function verifyCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('verify', argv, OPTIONS);
  if (p.positionals.length > 0) throw new UsageError('verify', `unexpected argument ${JSON.stringify(p.positionals[0])}`);
  const format = oneOf('verify', 'output', str(p, 'output'), ['table', 'ndjson'] as const, 'table');
  const etcdPrefix = str(p, 'etcd-prefix')!;
  const revision = revisionOf('verify', p);
  const config = await loadConfig('verify', p);
  const kms = connectKmsPlugins('verify', p, config);
  const source = await openSource('verify', p);
  const reader = createValueReader(config, etcdPrefix, kms.options);
  const summary: VerifySummary = { keys: 0, ok: 0, plaintext: 0, failed: 0, stale: 0, byProvider: [] };
  const progress = startProgress(io, 'verifying');
  try {
    if (format === 'table') await io.stdout.write(['STATUS', 'PROVIDER', 'KEY-NAME', 'STALE'].map(cell).join(' ') + ' KEY\n');
    const scan = source.scan(utf8(normalizeEtcdPrefix(etcdPrefix) + '/'), revision === undefined ? {} : { revision });
    for await (const chunk of inChunks(scan, SCAN_CHUNK)) {
      let text = '';
      for (const rec of await recordsOf(chunk, reader, etcdPrefix)) {
        summarize(summary, rec);
        progress.tick(rec.status === 'error');
        text += format === 'ndjson' ? JSON.stringify(rec) + '\n' : tableRow(rec);
      }
      await io.stdout.write(text);
    }
  } finally {
    await progress.done();
    kms.close();
    await source.close();
  }
  if (format === 'ndjson') await io.stdout.write(JSON.stringify({ summary }) + '\n');
  else await writeTableSummary(io.stdout, summary);
  return summary.failed > 0 ? EXIT_VERIFY_FAILED : EXIT_OK;
}
