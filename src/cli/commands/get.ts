import { utf8 } from '../../bytes.ts';
import { etcdKeyPrefix, resolveResource, type ResolvedResource } from '../../etcd/keys.ts';
import type { EtcdEntry, EtcdSource, ScanItem } from '../../etcd/source.ts';
import { K8sEncError } from '../../errors.ts';
import { forRestore } from '../../storage/output.ts';
import { flag, oneOf, parseCommandArgs, str, UsageError, type Parsed } from '../args.ts';
import type { CommandContext } from '../scan-early.ts';
import { GET_OPTIONS } from '../scan-options.ts';
import { OutDir } from '../out-dir.ts';
import { shown } from '../printable.ts';
import { goQuote } from '../../go-quote.ts';
import { inChunks, SCAN_CHUNK, SCAN_CHUNK_BYTES } from '../chunks.ts';
import { failureNote, storedBytes } from '../scan-format.ts';
import { EXIT_ERROR, EXIT_OK, EXIT_SOME_FAILED, HeldOutput, type CliIo } from '../io.ts';
import { createObjectWriter, formatObject, objectLine, OBJECT_FORMATS, type ObjectWriter } from '../object-output.ts';
import { startProgress } from '../progress.ts';
import { openScan } from '../sources.ts';
import { decodeReport } from '../../value/reader.ts';
import { canScanInWorkers, scanInWorkers } from '../scan-parallel.ts';
import { SnapshotSource } from '../../etcd/snapshot.ts';
import { EXIT_DAMAGED, isSalvage, supersededWarning, writeSalvageReport } from '../salvage-report.ts';

interface Target {
  resource: ResolvedResource;
  /** Exact keys to try in order (by NAME), or a prefix to scan. */
  keys?: string[];
  prefix?: string;
}

function target(p: Parsed, etcdPrefix: string): Target {
  // kubectl's `secrets/NAME` is `secrets NAME` (the positionals are rewritten for the messages too).
  const slash = p.positionals[0]?.indexOf('/') ?? -1;
  if (slash > 0) p.positionals = [p.positionals[0]!.slice(0, slash), p.positionals[0]!.slice(slash + 1), ...p.positionals.slice(1)];
  const [spelling, name, extra] = p.positionals;
  if (spelling === undefined) throw new UsageError('get', 'you must specify the type of resource to get, e.g. secrets');
  if (extra !== undefined) throw new UsageError('get', `unexpected argument ${JSON.stringify(extra)}`);
  let resource: ResolvedResource;
  try {
    resource = resolveResource(spelling);
  } catch (e) {
    throw new UsageError('get', (e as Error).message);
  }
  const all = flag(p, 'all-namespaces');
  const ns = str(p, 'namespace');
  // Without discovery, a CRD's scope is unknown: with no -n, look at both scopes.
  const unknownScope = resource.namespaced === undefined && ns === undefined;
  const namespace = all || unknownScope ? undefined : (ns ?? 'default');
  const at = (o: { namespace?: string; name?: string }) => {
    try {
      return etcdKeyPrefix(spelling, { etcdPrefix, ...o });
    } catch (e) {
      throw new UsageError('get', (e as Error).message);
    }
  };
  if (name === undefined) return { resource, prefix: at(namespace === undefined ? {} : { namespace }) };
  if (all) throw new UsageError('get', 'a resource cannot be retrieved by name across all namespaces');
  const keys = unknownScope
    ? [at({ name }), at({ namespace: 'default', name })]
    : [at({ name, ...(namespace !== undefined && { namespace }) })];
  return { resource, keys };
}

async function* entries(
  source: EtcdSource,
  t: Target,
  revision: number | undefined,
  onTotal?: (n: number) => void,
): AsyncIterable<ScanItem> {
  const opts = revision === undefined ? {} : { revision };
  if (t.prefix !== undefined) {
    yield* source.scan(utf8(t.prefix), { ...opts, ...(onTotal && { onTotal }) });
    return;
  }
  for (const k of t.keys ?? []) {
    if (isSalvage(source)) {
      const item = await source.getItem(utf8(k), opts);
      if (item === null) continue;
      yield item;
      return;
    }
    const entry: EtcdEntry | null = await source.get(utf8(k), opts);
    if (entry) {
      yield { ok: true, entry };
      return;
    }
  }
}

export async function getCommand(argv: string[], io: CliIo, ctx: CommandContext = {}): Promise<number> {
  const p = parseCommandArgs('get', argv, GET_OPTIONS);
  const format = oneOf('get', 'output', str(p, 'output'), OBJECT_FORMATS, 'yaml');
  const outDir = str(p, 'out');
  if (outDir !== undefined && format === 'name') throw new UsageError('get', '--out writes manifests: use -o yaml or -o json with it');
  if (flag(p, 'keep-owner-references') && !flag(p, 'for-restore'))
    throw new UsageError('get', '--keep-owner-references applies to --for-restore');
  const restore = flag(p, 'for-restore') && { keepOwnerReferences: flag(p, 'keep-owner-references') };
  const etcdPrefix = str(p, 'etcd-prefix')!;
  const t = target(p, etcdPrefix);
  const { revision, workers, config, kms, source, reader, early } = await openScan('get', p, etcdPrefix, { io, early: ctx.early });
  const progress = startProgress(io, `reading ${t.resource.qualified}`);
  const ext = format === 'yaml' ? 'yaml' : 'json';
  // Written a chunk at a time (flushed after each), not an object at a time.
  const stdout = new HeldOutput(io.stdout);
  const writer: ObjectWriter | null = outDir === undefined ? createObjectWriter(stdout, format, t.keys !== undefined) : null;
  const out = outDir === undefined ? null : new OutDir(outDir, progress);
  let found = 0;
  let failed = 0;
  let unwritten = 0;
  let superseded = 0;
  try {
    // Nothing is written for a snapshot whose hash is wrong: with --out, check it before the folder is made.
    if (out !== null && source instanceof SnapshotSource) await source.hashChecked();
    await out?.open();
    if (
      t.prefix !== undefined &&
      writer !== null &&
      (format === 'ndjson' || format === 'name') &&
      source instanceof SnapshotSource &&
      workers > 1 &&
      canScanInWorkers(config)
    ) {
      const job = {
        kind: 'get',
        format,
        resource: t.resource.qualified,
        forRestore: restore,
        snapshot: str(p, 'snapshot')!,
        config,
        etcdPrefix,
      } as const;
      const watch = { onTotal: (n: number) => progress.setTotal?.(n), early };
      for await (const r of scanInWorkers(source, utf8(t.prefix), revision, job, workers, watch)) {
        const chunk = r.get!;
        for (let i = 0; i < chunk.found; i++) progress.tick(false);
        for (const note of chunk.notes) {
          progress.tick(true);
          await progress.note(note);
        }
        found += chunk.found;
        failed += chunk.notes.length;
        await io.stdout.write(chunk.text);
      }
    } else
      for await (const chunk of inChunks(
        entries(source, t, revision, (n) => progress.setTotal?.(n)),
        SCAN_CHUNK,
        storedBytes,
        SCAN_CHUNK_BYTES,
      )) {
        const values = chunk.flatMap((item) =>
          item.ok ? [{ key: item.entry.key, value: item.entry.value, resource: t.resource.qualified }] : [],
        );
        const reports = await reader.readMany(values, { decode: false });
        let k = 0;
        for (const item of chunk) {
          const report = item.ok ? decodeReport(reports[k++]!) : null;
          progress.tick(report?.object === undefined);
          if (!item.ok || report?.object === undefined) {
            failed++;
            await progress.note(failureNote(item, report));
            continue;
          }
          const warning = supersededWarning(item);
          if (warning !== null) {
            superseded++;
            await progress.note(warning);
          }
          const obj = restore ? forRestore(report.object, restore) : report.object;
          if (writer) {
            found++;
            await writer.item(obj);
            continue;
          }
          try {
            await out!.write(
              report.key,
              t.resource.qualified,
              obj,
              format === 'ndjson' ? objectLine(obj, 'ndjson') : formatObject(obj, ext),
              ext,
            );
            found++;
          } catch (e) {
            // One object that cannot be written must not cost the others theirs.
            if (!(e instanceof K8sEncError)) throw e;
            unwritten++;
            await progress.note(`error: ${shown(report.key)}: ${e.message}`);
          }
        }
        await stdout.flush();
      }
  } finally {
    await progress.done();
    kms.close();
    await early?.close();
    await source.close();
  }
  const damaged = isSalvage(source) && (await writeSalvageReport(io.stderr, source, superseded));
  if (t.keys !== undefined && found === 0 && failed === 0) {
    const name = p.positionals[1]!;
    await io.stderr.write(`Error from server (NotFound): ${t.resource.qualified} ${goQuote(name)} not found\n`);
    return damaged ? EXIT_DAMAGED : EXIT_ERROR;
  }
  if (t.prefix !== undefined && found === 0 && failed === 0) await io.stderr.write(nothingUnder(t, p.positionals[0]!, etcdPrefix));
  if (writer && (t.keys === undefined || found > 0)) await writer.end();
  await stdout.flush();
  if (out !== null) await reportOutDir(io, out, found, failed + unwritten);
  else if (found === 0 && failed === 0 && (format === 'ndjson' || format === 'name')) await io.stderr.write('No resources found\n');
  if (damaged) return EXIT_DAMAGED;
  if (failed + unwritten === 0) return EXIT_OK;
  // By name, the one object failed; in a scan, the others were printed or written.
  return t.keys !== undefined ? EXIT_ERROR : EXIT_SOME_FAILED;
}

/** A listing that found no key at all: most likely a wrong --etcd-prefix or a misspelled resource. */
function nothingUnder(t: Target, spelling: string, etcdPrefix: string): string {
  const unknown =
    t.resource.namespaced === undefined
      ? `; ${JSON.stringify(spelling)} is not a built-in resource (a custom resource is spelled with its group, e.g. crontabs.stable.example.com)`
      : '';
  return `warning: no keys under ${shown(t.prefix!)} (is --etcd-prefix ${shown(etcdPrefix)} the apiserver's?)${unknown}\n`;
}

/** The end of an --out run: counts, stale temp files removed, and files there that this run did not write. */
async function reportOutDir(io: CliIo, out: OutDir, written: number, notWritten: number): Promise<void> {
  const { staleRemoved, notOurs } = await out.finish();
  const lines: string[] = [];
  if (staleRemoved > 0)
    lines.push(`removed ${staleRemoved} temp file${staleRemoved === 1 ? '' : 's'} an interrupted earlier run left under ${out.root}`);
  if (notOurs.length > 0) {
    const shown = notOurs.slice(0, 20).map((f) => `  ${f}`);
    if (notOurs.length > shown.length) shown.push(`  … and ${notOurs.length - shown.length} more`);
    lines.push(
      `warning: ${out.root} already held ${notOurs.length} file${notOurs.length === 1 ? '' : 's'} this run did not write:`,
      ...shown,
    );
  }
  const tail = notWritten > 0 ? `; ${notWritten} not written (see the errors above)` : '';
  lines.push(`wrote ${written} object${written === 1 ? '' : 's'} under ${out.root}${tail}`);
  await io.stderr.write(lines.join('\n') + '\n');
}
