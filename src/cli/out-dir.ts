/**
 * `get --out DIR`: one private file per object at DIR/<namespace|_cluster>/<resource>/<name>.<ext>.
 * An object that cannot be written (a name no file can have, a folder that is a symbolic link) is
 * refused on its own and the run goes on. Below DIR no symbolic link is ever followed: each folder
 * is checked with lstat before use, and a link is refused, not replaced. Two objects that would
 * share a file get two files. Stale temp files of interrupted runs are removed, and files this run
 * did not write are listed at the end, so a restore from a non-empty folder is no surprise.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { K8sEncError } from '../errors.ts';
import type { KubeObject } from '../storage/types.ts';
import { ioError, makePrivateDir, removeStaleTemps, writeFileAtomic } from './atomic-write.ts';

/** Longest file name (bytes) on Linux, macOS and Windows file systems alike. */
const NAME_MAX = 255;

export interface OutDirNotes {
  note(line: string): Promise<void>;
}

function refuse(key: string, why: string): K8sEncError {
  return new K8sEncError('ERR_IO', `not written: ${why}`, { etcdKey: key });
}

/** A file name for `name` that fits NAME_MAX: long names keep their start plus a hash of the whole. */
function fileName(name: string, suffix: string): { file: string; shortened: boolean } {
  const file = `${name}${suffix}`;
  if (Buffer.byteLength(file) <= NAME_MAX) return { file, shortened: false };
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 16);
  const room = NAME_MAX - Buffer.byteLength(`~${hash}${suffix}`);
  let head = Buffer.from(name).subarray(0, room).toString();
  while (Buffer.byteLength(head) > room || head.endsWith('\uFFFD')) head = head.slice(0, -1);
  return { file: `${head}~${hash}${suffix}`, shortened: true };
}

export class OutDir {
  private readonly checked = new Set<string>();
  private readonly written = new Map<string, string>();
  private readonly warnedModes = new Set<string>();
  private staleRemoved = 0;

  constructor(
    readonly root: string,
    private readonly notes: OutDirNotes,
  ) {}

  async open(): Promise<void> {
    await makePrivateDir(this.root);
    await this.checkMode(this.root, this.root);
  }

  private async checkMode(path: string, shown: string): Promise<void> {
    const st = await lstat(path);
    if ((st.mode & 0o077) !== 0 && !this.warnedModes.has(path)) {
      this.warnedModes.add(path);
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      await this.notes.note(
        `warning: folder ${shown} already exists with mode ${mode}: others can read or enter it; decrypted files go in 0600 but consider chmod 700`,
      );
    }
  }

  /** DIR/a/b, creating what is missing 0700; a component that is a link or no folder refuses the write. */
  private async folder(key: string, parts: string[]): Promise<string> {
    let path = this.root;
    for (const part of parts) {
      path = join(path, part);
      let st = await lstat(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null;
        throw ioError('cannot inspect', path, e);
      });
      if (st === null) {
        await mkdir(path, { mode: 0o700 }).catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'EEXIST') throw ioError('cannot create folder', path, e);
        });
        st = await lstat(path);
        if (st.isDirectory()) await chmod(path, 0o700);
      }
      if (st.isSymbolicLink()) throw refuse(key, `${path} is a symbolic link; not following it out of ${this.root}`);
      if (!st.isDirectory()) throw refuse(key, `${path} exists and is not a folder`);
      if (!this.checked.has(path)) {
        this.checked.add(path);
        await this.checkMode(path, path);
        this.staleRemoved += (await removeStaleTemps(path)).length;
      }
    }
    return path;
  }

  /** Writes one object's text; throws a K8sEncError naming the etcd key if it cannot. */
  async write(key: string, resource: string, obj: KubeObject, text: string, ext: string): Promise<string> {
    const meta = obj.metadata as { name?: unknown; namespace?: unknown } | undefined;
    const name = typeof meta?.name === 'string' && meta.name !== '' ? meta.name : key.split('/').pop()!;
    const ns = typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : '_cluster';
    for (const [what, seg] of [
      ['namespace', ns],
      ['name', name],
    ] as const) {
      if (seg === '.' || seg === '..' || /[/\\\0]/.test(seg) || seg === '') {
        throw refuse(key, `the object's ${what} ${JSON.stringify(seg)} cannot be a file or folder name`);
      }
    }
    if (Buffer.byteLength(ns) > NAME_MAX) throw refuse(key, `the namespace is longer than ${NAME_MAX} bytes`);
    const dir = await this.folder(key, [ns, resource]);
    let { file, shortened } = fileName(name, `.${ext}`);
    const first = this.written.get(join(dir, file));
    if (first !== undefined) {
      for (let n = 2; this.written.has(join(dir, file)); n++) ({ file } = fileName(name, `~${n}.${ext}`));
      await this.notes.note(`warning: ${key} holds ${ns}/${name} as ${first} does: written as ${file}`);
    }
    if (shortened) await this.notes.note(`warning: ${key}: name too long for a file name, shortened to ${file}`);
    const path = join(dir, file);
    await writeFileAtomic(path, text);
    this.written.set(path, key);
    return path;
  }

  /** Temp files removed, and files under DIR that this run did not write (the caller reports them). */
  async finish(): Promise<{ staleRemoved: number; notOurs: string[] }> {
    const notOurs: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const d of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const path = join(dir, d.name);
        if (d.isDirectory()) await walk(path);
        else if (!this.written.has(path)) notOurs.push(path);
      }
    };
    await walk(this.root);
    return { staleRemoved: this.staleRemoved, notOurs: notOurs.sort() };
  }
}
