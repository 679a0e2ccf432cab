import { fromUtf8, utf8 } from '../../bytes.ts';
import { normalizeEtcdPrefix } from '../../etcd/keys.ts';
import { flag, oneOf, parseCommandArgs, str, UsageError } from '../args.ts';
import type { CommandContext } from '../scan-early.ts';
import { VERIFY_OPTIONS } from '../scan-options.ts';
import { inChunks, SCAN_CHUNK, SCAN_CHUNK_BYTES } from '../chunks.ts';
import { EXIT_OK, EXIT_VERIFY_FAILED, type CliIo } from '../io.ts';
import { startProgress } from '../progress.ts';
import { openScan } from '../sources.ts';
import { shown } from '../printable.ts';
import { cells, columnsFor, storedBytes, verifyChunk, type MarkCount } from '../scan-format.ts';
import { newSummary, summarize, summaryLines } from '../verify-summary.ts';
import { canScanInWorkers, scanInWorkers } from '../scan-parallel.ts';
import { SnapshotSource } from '../../etcd/snapshot.ts';
import { EXIT_DAMAGED, isSalvage, writeSalvageReport } from '../salvage-report.ts';
import { startReport } from '../verify-report-file.ts';

export type { VerifyRecord } from '../scan-format.ts';
export type { VerifySummary } from '../verify-summary.ts';

export async function verifyCommand(argv: string[], io: CliIo, ctx: CommandContext = {}): Promise<number> {
  const p = parseCommandArgs('verify', argv, VERIFY_OPTIONS);
  if (p.positionals.length > 0) throw new UsageError('verify', `unexpected argument ${JSON.stringify(p.positionals[0])}`);
  const format = oneOf('verify', 'output', str(p, 'output'), ['table', 'ndjson'] as const, 'table');
  const etcdPrefix = str(p, 'etcd-prefix')!;
  const {
    revision,
    workers,
    config,
    configFile,
    extra: report,
    kms,
    source,
    reader,
    early,
  } = await openScan('verify', p, etcdPrefix, { beforeConnect: () => startReport('verify', str(p, 'report')), io, early: ctx.early });
  const summary = newSummary();
  const progress = startProgress(io, 'verifying');
  const prefix = utf8(normalizeEtcdPrefix(etcdPrefix) + '/');
  const print = { failuresOnly: flag(p, 'failures-only'), columns: columnsFor(config) };
  let superseded = 0;
  async function* chunks(): AsyncIterable<{ text: string | Uint8Array; marks: MarkCount[] }> {
    if (source instanceof SnapshotSource && workers > 1 && canScanInWorkers(config)) {
      const job = { kind: 'verify', format, failuresOnly: print.failuresOnly, snapshot: str(p, 'snapshot')!, config, etcdPrefix } as const;
      for await (const r of scanInWorkers(source, prefix, revision, job, workers, { onTotal: (n) => progress.setTotal?.(n), early }))
        yield r.verify!;
      return;
    }
    const scan = source.scan(prefix, { ...(revision !== undefined && { revision }), onTotal: (n) => progress.setTotal?.(n) });
    for await (const chunk of inChunks(scan, SCAN_CHUNK, storedBytes, SCAN_CHUNK_BYTES))
      yield verifyChunk(chunk, reader, etcdPrefix, format, print);
  }
  try {
    // The header goes out with the first chunk (or, for no keys, after the scan): a snapshot whose
    // hash turns out wrong during pass 1 prints nothing at all.
    let header = format === 'table' ? cells(['STATUS', 'PROVIDER', 'KEY-NAME', 'STALE'], print.columns) + ' KEY\n' : '';
    for await (const { text, marks } of chunks()) {
      for (const { mark, count } of marks) {
        for (let i = 0; i < count; i++) {
          summarize(summary, mark);
          if (mark.mayBeSuperseded) superseded++;
          progress.tick(mark.status === 'error');
          report?.add(mark);
        }
      }
      if (header !== '') await io.stdout.write(header);
      header = '';
      await io.stdout.write(text);
    }
    if (header !== '') await io.stdout.write(header);
    await report?.write(summary, {
      source,
      snapshot: str(p, 'snapshot'),
      endpoints: str(p, 'endpoints'),
      configPath: configFile.path,
      configBytes: configFile.bytes,
      etcdPrefix,
    });
  } finally {
    await progress.done();
    kms.close();
    await early?.close();
    await source.close();
  }
  if (format === 'ndjson') await io.stdout.write(JSON.stringify({ summary }) + '\n');
  else await io.stdout.write(['', ...summaryLines(summary, print.columns)].join('\n') + '\n');
  if (isSalvage(source) && (await writeSalvageReport(io.stderr, source, superseded))) return EXIT_DAMAGED;
  if (summary.keys === 0) {
    // Nothing verified is no proof of anything: most likely the wrong --etcd-prefix.
    await io.stderr.write(`warning: no keys under ${shown(fromUtf8(prefix))} (is --etcd-prefix ${shown(etcdPrefix)} the apiserver's?)\n`);
    return EXIT_VERIFY_FAILED;
  }
  return summary.failed > 0 ? EXIT_VERIFY_FAILED : EXIT_OK;
}
