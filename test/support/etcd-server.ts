import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** The etcd binary: $ETCD_BIN, else `etcd` on PATH (Debian's etcd-server puts it in /usr/bin). */
export function etcdBinary(): string | null {
  const fromEnv = process.env['ETCD_BIN'];
  const candidates = fromEnv ? [fromEnv] : (process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'etcd'));
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // not here; try the next one
    }
  }
  return null;
}

export function etcdctlBinary(): string {
  return process.env['ETCDCTL_BIN'] ?? 'etcdctl';
}

export function etcdAvailable(): boolean {
  return etcdBinary() !== null;
}

/**
 * For `test(name, { skip: etcdSkipReason() }, ...)`: outside CI a missing etcd skips loudly; in
 * CI (CI=true) it is not a reason to skip, so the test runs and fails.
 */
export function etcdSkipReason(): string | false {
  if (etcdAvailable() || process.env['CI'] === 'true') return false;
  const msg = 'NO ETCD BINARY FOUND (install etcd-server or set ETCD_BIN): etcd tests SKIPPED';
  process.stderr.write(`\n*** ${msg} ***\n\n`);
  return msg;
}

export interface EtcdServer {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  dataDir: string;
  /** The member bbolt file (consistent once the server is stopped). */
  dbPath: string;
  pid: number;
  /** Ends the process (by its pid) but keeps the data dir, e.g. to read the member db afterwards. */
  halt(): Promise<void>;
  /** halt() and remove the data dir. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/** Starts a one-member etcd on free loopback ports with a fresh data dir; retries if a port was taken. */
export async function startEtcd(): Promise<EtcdServer> {
  const bin = etcdBinary();
  if (bin === null) throw new Error('no etcd binary found (install etcd-server or set ETCD_BIN)');
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'k8s-enc-etcd-'));
    const [client, peer] = [await freePort(), await freePort()];
    const endpoint = `http://127.0.0.1:${client}`;
    const peerUrl = `http://127.0.0.1:${peer}`;
    const child = spawn(
      bin,
      [
        '--name=test',
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${endpoint}`,
        `--advertise-client-urls=${endpoint}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        '--logger=zap',
        '--log-level=error',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const halt = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM');
        await exited(child);
      }
    };
    const stop = async (): Promise<void> => {
      await halt();
      await rm(dataDir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await healthy(endpoint)) {
        return { endpoint, dataDir, dbPath: join(dataDir, 'member', 'snap', 'db'), pid: child.pid!, halt, stop };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = stderr.slice(-2000);
    await stop();
  }
  throw new Error(`etcd did not become healthy: ${lastError}`);
}
