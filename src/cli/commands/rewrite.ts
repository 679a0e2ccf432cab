import { existsSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { utf8 } from '../../bytes.ts';
import { parseEncryptionConfig } from '../../config/parse.ts';
import type { EncryptionConfig } from '../../config/types.ts';
import { normalizeEtcdPrefix } from '../../etcd/keys.ts';
import { CONFIG_OPTIONS, flag, parseCommandArgs, positiveInt, str, UsageError } from '../args.ts';
import { EXIT_ERROR, EXIT_OK, EXIT_VERIFY_FAILED, type CliIo } from '../io.ts';
import { connectKmsPlugins } from '../kms.ts';
import { startProgress } from '../progress.ts';
import { rewriteSetup } from '../rewrite/decide.ts';
import { RewriteTally } from '../rewrite/summary.ts';
import { loadConfig, openSource, readInputFile } from '../sources.ts';

const OPTIONS = {
  ...CONFIG_OPTIONS,
  snapshot: { type: 'string' },
  out: { type: 'string' },
  compact: { type: 'boolean' },
  'skip-hash-check': { type: 'boolean' },
  endpoints: { type: 'string' },
  cacert: { type: 'string' },
  cert: { type: 'string' },
  key: { type: 'string' },
  'dry-run': { type: 'boolean' },
  batch: { type: 'string' },
  'to-config': { type: 'string' },
  force: { type: 'boolean' },
} as const;

const DEFAULT_BATCH = 64;

function checkFlags(p: ReturnType<typeof parseCommandArgs>): 'offline' | 'live' {
  const offline = str(p, 'snapshot') !== undefined;
  if (offline === (str(p, 'endpoints') !== undefined))
    throw new UsageError('rewrite', 'give exactly one of --snapshot IN.db (with --out) or --endpoints URLS');
  const misplaced = offline ? ['dry-run', 'batch', 'cacert', 'cert', 'key'] : ['out', 'compact', 'skip-hash-check'];
  for (const f of misplaced) {
    if (p.values[f] !== undefined)
      throw new UsageError(
        'rewrite',
        `--${f} applies to ${offline ? '--endpoints' : '--snapshot'}, not ${offline ? '--snapshot' : '--endpoints'}`,
      );
  }
  if (offline) {
    const out = str(p, 'out');
    if (out === undefined || out === '') throw new UsageError('rewrite', '--out OUT.db is required with --snapshot: IN is never modified');
    if (existsSync(out)) {
      const same = realpathSync(out) === realpathSync(str(p, 'snapshot')!);
      throw new UsageError('rewrite', same ? '--out must not be the input snapshot' : `--out ${out} exists: give a new file name`);
    }
  }
  return offline ? 'offline' : 'live';
}

export async function rewriteCommand(argv: string[], io: CliIo): Promise<number> {
  const p = parseCommandArgs('rewrite', argv, OPTIONS);
  const mode = checkFlags(p);
  const batch = positiveInt('rewrite', 'batch', str(p, 'batch')) ?? DEFAULT_BATCH;
  if (batch > 128) throw new UsageError('rewrite', `--batch ${batch}: at most 128 (etcd's default --max-txn-ops)`);
  const etcdPrefix = str(p, 'etcd-prefix')!;
  const config = await loadConfig('rewrite', p);
  const toPath = str(p, 'to-config');
  const newConfig = toPath === undefined ? null : parseEncryptionConfig(await readInputFile(toPath), toPath);
  // One set of plugin connections for both configs: --kms-endpoint may name a provider of either.
  const both: EncryptionConfig = { ...config, resources: [...config.resources, ...(newConfig?.resources ?? [])] };
  const kms = await connectKmsPlugins('rewrite', p, both);
  const setup = rewriteSetup({ config, newConfig, etcdPrefix, resources: p.positionals, force: flag(p, 'force'), options: kms.options });
  const tally = new RewriteTally();
  const progress = startProgress(io, 'rewriting');
  const report = (key: string, error: string) => progress.note(`error: ${key === '' ? '' : `${key}: `}${error}`);
  const prefix = utf8(normalizeEtcdPrefix(etcdPrefix) + '/');
  try {
    if (mode === 'offline') {
      const { rewriteSnapshot } = await import('../rewrite/offline.ts');
      await rewriteSnapshot({
        inPath: str(p, 'snapshot')!,
        outPath: resolve(str(p, 'out')!),
        skipHashCheck: flag(p, 'skip-hash-check'),
        compact: flag(p, 'compact'),
        setup,
        tally,
        progress,
        report,
        plan: (line) => progress.note(line),
      });
    } else {
      const { rewriteLive } = await import('../rewrite/live.ts');
      const source = (await openSource('rewrite', p)) as import('../../etcd/live.ts').LiveSource;
      try {
        await rewriteLive({
          source,
          prefix,
          setup,
          tally,
          progress,
          dryRun: flag(p, 'dry-run'),
          batch,
          report,
          wouldRewrite: async (line) => {
            await io.stdout.write(line + '\n');
          },
        });
      } finally {
        await source.close();
      }
    }
  } finally {
    await progress.done();
    kms.close();
  }
  await tally.write(io.stdout, flag(p, 'dry-run'));
  // Unreadable values: 3, as verify; keys that kept changing under a live rewrite: 1 (run it again).
  if (tally.total.failed > tally.unsettled) return EXIT_VERIFY_FAILED;
  return tally.unsettled > 0 ? EXIT_ERROR : EXIT_OK;
}
