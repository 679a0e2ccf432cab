/**
 * Files that hold decrypted Secrets: private (folders 0700, files 0600) and never half-written
 * (temp file in the same folder, fsync, rename over the target).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { K8sEncError } from '../errors.ts';

function ioError(what: string, path: string, e: unknown): K8sEncError {
  const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
  return new K8sEncError('ERR_IO', `${what} ${JSON.stringify(path)}: ${reason}`, { file: path, cause: e });
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
  const rest = relative(first, dir).split(sep).filter((s) => s !== '');
  await chmod(p, 0o700);
  for (const s of rest) await chmod((p = join(p, s)), 0o700);
}

export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // O_EXCL|O_NOFOLLOW: never reuse or follow something an attacker placed at the temp name.
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  let fh;
  try {
    fh = await open(tmp, flags, 0o600);
  } catch (e) {
    throw ioError('cannot create', tmp, e);
  }
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
  }
  // Make the rename itself durable; some file systems refuse fsync on folders, which is harmless.
  const d = await open(dir, constants.O_RDONLY).catch(() => undefined);
  await d?.sync().catch(() => {});
  await d?.close();
}
