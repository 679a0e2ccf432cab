/** Turns the shared flags into a loaded EncryptionConfiguration and an open etcd source. */
import { readFile } from 'node:fs/promises';
import { parseEncryptionConfig } from '../config/parse.ts';
import type { EncryptionConfig } from '../config/types.ts';
import type { EtcdSource } from '../etcd/source.ts';
import { openSnapshot } from '../etcd/snapshot.ts';
import type { TrailerCheck } from '../etcd/snapshot-file.ts';
import { K8sEncError } from '../errors.ts';
import { createValueReader } from '../value/reader.ts';
import { flag, positiveInt, str, UsageError, type Parsed } from './args.ts';
import type { CliIo } from './io.ts';
import { describeErrno } from './errno.ts';
import { connectKmsPlugins } from './kms.ts';
import { canScanInWorkers } from './scan-parallel.ts';
import { scanWorkerCount, type EarlyWorkers } from './scan-early.ts';

export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new K8sEncError('ERR_IO', `cannot read ${JSON.stringify(path)}: ${describeErrno(e)}`, { file: path, cause: e });
  }
}

export async function loadConfig(command: string, p: Parsed): Promise<EncryptionConfig> {
  return (await loadConfigFile(command, p)).config;
}

/** The parsed config with the path and bytes it came from (the verify report prints their sha256). */
export async function loadConfigFile(command: string, p: Parsed): Promise<{ config: EncryptionConfig; path: string; bytes: Uint8Array }> {
  const path = str(p, 'encryption-provider-config');
  if (path === undefined || path === '') {
    throw new UsageError(command, '--encryption-provider-config (-c) is required: the EncryptionConfiguration the apiserver uses');
  }
  const bytes = await readInputFile(path);
  return { config: parseEncryptionConfig(bytes, path), path, bytes };
}

/** `--endpoints a,b`: the URLs, blanks dropped. */
export function endpointList(flag: string): string[] {
  return flag
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
}

export function revisionOf(command: string, p: Parsed): number | undefined {
  return positiveInt(command, 'revision', str(p, 'revision'));
}

export interface ScanSetup<Extra> {
  /** The command's own checks, made after the config loads and before any connection. */
  beforeConnect?: () => Promise<Extra>;
  io?: CliIo;
  /** Scan workers main.ts started (scan-early.ts): closed here when the scan cannot use them. */
  early?: EarlyWorkers | null;
}

/**
 * What a scan (get, verify) needs, opened in the order its flags are checked: revision and
 * workers, the config, the command's own checks (`beforeConnect`), its KMS plugins, the source;
 * the reader of the values; and the early workers if the scan can use them (the caller closes them).
 */
export async function openScan<Extra>(command: string, p: Parsed, etcdPrefix: string, setup: ScanSetup<Extra> = {}) {
  const revision = revisionOf(command, p);
  const workers = scanWorkerCount(command, str(p, 'workers'));
  let early = setup.early ?? null;
  try {
    const configFile = await loadConfigFile(command, p);
    const { config } = configFile;
    if (!canScanInWorkers(config)) {
      await early?.close();
      early = null;
    }
    const extra = await setup.beforeConnect?.();
    const kms = await connectKmsPlugins(command, p, config);
    const source = await openSource(command, p, setup.io);
    const reader = createValueReader(config, etcdPrefix, kms.options);
    return { revision, workers, config, configFile, extra, kms, source, reader, early };
  } catch (e) {
    await early?.close();
    throw e;
  }
}

/** What a snapshot's open checked of its sha256 trailer, when not all of it was checked. */
function hashNote(path: string, check: TrailerCheck): string | null {
  if (check === 'skipped') return `warning: ${path}: sha256 trailer not checked (--skip-hash-check); the data may be corrupt\n`;
  if (check === 'no-trailer') {
    return `note: ${path} has no sha256 trailer (a member db, or a snapshot cut short): read as a bbolt file, integrity not checked\n`;
  }
  return null;
}

/**
 * The --snapshot or --endpoints source; with `io`, says on stderr what a snapshot's open did not
 * check. A --revision out of the source's range fails here, naming the range.
 */
export async function openSource(command: string, p: Parsed, io?: CliIo): Promise<EtcdSource> {
  const source = await openUnchecked(command, p, io);
  const revision = revisionOf(command, p);
  if (revision === undefined) return source;
  try {
    await checkRevision(source, revision);
  } catch (e) {
    await source.close();
    throw e;
  }
  return source;
}

/** etcd's own texts, then the range: a revision out of it is a fact about the data, not a usage error. */
async function checkRevision(source: EtcdSource, revision: number): Promise<void> {
  const { revision: current, compactRevision } = await source.info();
  const range = `the current revision is ${current}${compactRevision > 0 ? `, compacted up to ${compactRevision}` : ', never compacted'}`;
  if (revision > current) {
    throw new K8sEncError('ERR_ETCD_FUTURE_REVISION', `required revision is a future revision (asked for ${revision}; ${range})`);
  }
  if (revision < compactRevision) {
    throw new K8sEncError('ERR_ETCD_COMPACTED', `required revision has been compacted (asked for ${revision}; ${range})`);
  }
}

async function openUnchecked(command: string, p: Parsed, io?: CliIo): Promise<EtcdSource> {
  const snapshot = str(p, 'snapshot');
  const endpoints = str(p, 'endpoints');
  if ((snapshot === undefined) === (endpoints === undefined)) {
    throw new UsageError(command, 'give exactly one of --snapshot FILE or --endpoints URLS');
  }
  if (snapshot !== undefined) {
    for (const f of ['cacert', 'cert', 'key'] as const) {
      if (str(p, f) !== undefined) throw new UsageError(command, `--${f} applies to --endpoints, not --snapshot`);
    }
    if (flag(p, 'salvage')) {
      const { openSalvage } = await import('../etcd/salvage/source.ts');
      return openSalvage(snapshot);
    }
    // The hash is checked while the first read (pass 1 of a scan) runs; nothing is printed before it passes.
    const source = await openSnapshot(snapshot, { skipHashCheck: flag(p, 'skip-hash-check'), overlapHashCheck: true });
    const note = hashNote(snapshot, source.trailer);
    if (note !== null) await io?.stderr.write(note);
    return source;
  }
  if (flag(p, 'salvage')) throw new UsageError(command, '--salvage reads --snapshot files; a live etcd has its own repair tools');
  const list = endpointList(endpoints!);
  if (list.length === 0) throw new UsageError(command, '--endpoints needs at least one URL');
  // Loaded on demand: the gRPC client is only needed for live clusters.
  const { openEndpoints } = await import('../etcd/live.ts');
  const tls = { cacert: str(p, 'cacert'), cert: str(p, 'cert'), key: str(p, 'key') };
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new UsageError(
      command,
      `--cert and --key go together (the client certificate and its private key); ${tls.cert === undefined ? '--cert' : '--key'} is missing`,
    );
  }
  return openEndpoints({
    endpoints: list,
    ...(tls.cacert !== undefined && { cacert: tls.cacert }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
  });
}

/** FILE, `-` or nothing (stdin), as the single positional of decrypt/encrypt/inspect. */
export async function readValueArg(command: string, positionals: string[], io: CliIo): Promise<Uint8Array> {
  if (positionals.length > 1) throw new UsageError(command, `unexpected argument ${JSON.stringify(positionals[1])}`);
  const file = positionals[0];
  return file === undefined || file === '-' ? io.readStdin() : readInputFile(file);
}
