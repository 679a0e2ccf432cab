/** Turns the shared flags into a loaded EncryptionConfiguration and an open etcd source. */
import { readFile } from 'node:fs/promises';
import { parseEncryptionConfig } from '../config/parse.ts';
import type { EncryptionConfig } from '../config/types.ts';
import type { EtcdSource } from '../etcd/source.ts';
import { openSnapshot } from '../etcd/snapshot.ts';
import { K8sEncError } from '../errors.ts';
import { createValueReader } from '../value/reader.ts';
import { flag, positiveInt, str, UsageError, type Parsed } from './args.ts';
import type { CliIo } from './io.ts';
import { connectKmsPlugins } from './kms.ts';
import { scanWorkerCount } from './scan-parallel.ts';

export async function readInputFile(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new K8sEncError('ERR_IO', `cannot read ${JSON.stringify(path)}: ${reason}`, { file: path, cause: e });
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
  return flag.split(',').map((e) => e.trim()).filter((e) => e !== '');
}

export function revisionOf(command: string, p: Parsed): number | undefined {
  return positiveInt(command, 'revision', str(p, 'revision'));
}

/**
 * What a scan (get, verify) needs, opened in the order its flags are checked: revision and
 * workers, the config, the command's own checks (`beforeConnect`), its KMS plugins, the source;
 * and the reader of the values.
 */
export async function openScan<Extra>(command: string, p: Parsed, etcdPrefix: string, beforeConnect?: () => Promise<Extra>) {
  const revision = revisionOf(command, p);
  const workers = scanWorkerCount(command, str(p, 'workers'));
  const configFile = await loadConfigFile(command, p);
  const { config } = configFile;
  const extra = await beforeConnect?.();
  const kms = connectKmsPlugins(command, p, config);
  const source = await openSource(command, p);
  return { revision, workers, config, configFile, extra, kms, source, reader: createValueReader(config, etcdPrefix, kms.options) };
}

export async function openSource(command: string, p: Parsed): Promise<EtcdSource> {
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
    return openSnapshot(snapshot, { skipHashCheck: flag(p, 'skip-hash-check'), overlapHashCheck: true });
  }
  if (flag(p, 'salvage')) throw new UsageError(command, '--salvage reads --snapshot files; a live etcd has its own repair tools');
  const list = endpointList(endpoints!);
  if (list.length === 0) throw new UsageError(command, '--endpoints needs at least one URL');
  // Loaded on demand: the gRPC client is only needed for live clusters.
  const { openEndpoints } = await import('../etcd/live.ts');
  const tls = { cacert: str(p, 'cacert'), cert: str(p, 'cert'), key: str(p, 'key') };
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
