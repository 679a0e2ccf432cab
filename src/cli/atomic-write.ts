/**
 * Files that hold decrypted Secrets: private (folders 0700, files 0600) and never half-written
 * (temp file in the same folder, fsync, rename over the target). An interrupted run leaves no temp
 * file behind: SIGINT/SIGTERM/SIGHUP remove the pending ones, and a run killed outright leaves
 * names (`.k8s-enc-<pid>-<hex>.tmp`) the next run recognises as stale and removes.
 */
import { randomBytes } from 'node:crypto';
import { constants, unlinkSync } from 'node:fs';
import { chmod, type FileHandle, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { K8sEncError } from '../errors.ts';
import { describeErrno } from './errno.ts';

export function ioError(what: string, path: string, e: unknown): K8sEncError {
  return new K8sEncError('ERR_IO', `${what} ${JSON.stringify(path)}: ${describeErrno(e)}`, { file: path, cause: e });
}

/** mkdir -p, then 0700 set explicitly on every folder it created (mkdir's mode goes through the umask). */
export async function makePrivateDir(dir: string): Promise<void> {
  let first: string | undefined;
  try {
    first = await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError('cannot create folder', dir, e);
  }
  if (first === undefined) return;
  let p = first;
  const rest = relative(first, dir)
    .split(sep)
    .filter((s) => s !== '');
  await chmod(p, 0o700);
  for (const s of rest) await chmod((p = join(p, s)), 0o700);
}

// Short and independent of the target's name: a 240-character name plus a suffix would pass the
// 255-byte limit of a file name.
const TEMP_NAME = /^\.k8s-enc-([0-9]+)-[0-9a-f]{12}\.tmp$/;
// What earlier versions named their temp files: `.<name>.<12 hex>.tmp`.
const OLD_TEMP_NAME = /^\..+\.[0-9a-f]{12}\.tmp$/;

const pending = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let handlersInstalled = false;

/** Removes the pending temp files, then dies of the signal as it would have without us. */
function onSignal(signal: NodeJS.Signals): void {
  for (const tmp of pending) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  pending.clear();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, signal);
}

function installSignalCleanup(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `name` is a temp file an earlier, interrupted run of ours left behind in its folder. */
export function isStaleTempName(name: string): boolean {
  const ours = TEMP_NAME.exec(name);
  if (ours) return Number(ours[1]) !== process.pid && !pidAlive(Number(ours[1]));
  return OLD_TEMP_NAME.test(name);
}

/** Removes the stale temp files of ours in `dir`; returns their names. */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names.filter(isStaleTempName)) {
    if (
      await unlink(join(dir, name)).then(
        () => true,
        () => false,
      )
    )
      removed.push(name);
  }
  return removed;
}

/** A fresh temp file name in `dir`, of the shape TEMP_NAME recognises (our pid, so a later run can tell stale ones). */
function tempName(dir: string): string {
  return join(dir, `.k8s-enc-${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * A temp file name beside `path` (for files written piece by piece, like `rewrite`'s new snapshot):
 * removed by an interrupt until `release` is called, and recognised as stale by a later run.
 */
export function tempBeside(path: string): { tmp: string; release: () => void } {
  installSignalCleanup();
  const tmp = tempName(join(path, '..'));
  pending.add(tmp);
  return { tmp, release: () => void pending.delete(tmp) };
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = join(path, '..');
  const tmp = tempName(dir);
  // O_EXCL|O_NOFOLLOW: never reuse or follow something an attacker placed at the temp name.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  installSignalCleanup();
  let fh: FileHandle | undefined;
  try {
    fh = await open(tmp, flags, 0o600);
  } catch (e) {
    throw ioError('cannot create', tmp, e);
  }
  pending.add(tmp);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (e) {
    await fh?.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw ioError('cannot write', path, e);
  } finally {
    pending.delete(tmp);
  }
  // Make the rename itself durable; some file systems refuse fsync on folders, which is harmless.
  const d = await open(dir, constants.O_RDONLY).catch(() => undefined);
  await d?.sync().catch(() => {});
  await d?.close();
}
