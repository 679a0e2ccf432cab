/** Where `verify --report FILE.html` meets the file system: the meta it needs, the file it writes. */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toHex } from '../bytes.ts';
import type { EtcdSource } from '../etcd/source.ts';
import { sha256Prefix } from '../etcd/snapshot-file.ts';
import { UsageError } from './args.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { endpointList } from './sources.ts';
import type { VerifySummary } from './verify-summary.ts';
import { VerifyReportCollector, type ReportSource } from './verify-report.ts';

export interface ReportContext {
  source: EtcdSource;
  snapshot: string | undefined;
  endpoints: string | undefined;
  configPath: string;
  configBytes: Uint8Array;
  etcdPrefix: string;
}

/** Null without `--report`; checks the target folder first, so a long scan cannot end in "no such folder". */
export async function startReport(command: string, path: string | undefined) {
  if (path === undefined) return null;
  if (path === '') throw new UsageError(command, '--report needs a file name');
  const dir = dirname(path);
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new UsageError(command, `--report ${JSON.stringify(path)}: folder ${JSON.stringify(dir)} does not exist`);
  const collector = new VerifyReportCollector();
  return {
    add: collector.add.bind(collector),
    async write(summary: VerifySummary, ctx: ReportContext): Promise<void> {
      const { revision } = await ctx.source.info();
      const source: ReportSource =
        ctx.snapshot !== undefined
          ? {
              kind: 'snapshot',
              path: ctx.snapshot,
              sha256: toHex(await sha256Prefix(ctx.snapshot, (await stat(ctx.snapshot)).size)),
              revision,
            }
          : { kind: 'endpoints', endpoints: endpointList(ctx.endpoints ?? ''), revision };
      const config = { path: ctx.configPath, sha256: createHash('sha256').update(ctx.configBytes).digest('hex') };
      // 0600 like every other output file: the key names and etcd keys in it are nobody else's business.
      await writeFileAtomic(path, collector.html(summary, { source, config, etcdPrefix: ctx.etcdPrefix, date: new Date() }));
    },
  };
}
