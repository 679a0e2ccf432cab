import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
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

/** PEM files for a TLS etcd: a test CA, and a client certificate it signed. */
export interface EtcdTls {
  cacert: string;
  cert: string;
  key: string;
}

export interface EtcdServer {
  /** `http://127.0.0.1:<port>`, or `https://…` with `tls` */
  endpoint: string;
  /** Set when started with `{ tls: true }`: the server then requires a client certificate. */
  tls?: EtcdTls;
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

/** A throw-away CA plus server and client certificates for 127.0.0.1 (openssl CLI, P-256 keys). */
export function makeTestCertificates(dir: string): EtcdTls & { serverCert: string; serverKey: string } {
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=k8s-enc test CA');
  for (const [name, usage] of [
    ['server', 'serverAuth'],
    ['client', 'clientAuth'],
  ] as const) {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, `subjectAltName=IP:127.0.0.1\nextendedKeyUsage=${usage}\n`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      ext,
    );
  }
  return {
    cacert: join(dir, 'ca.crt'),
    cert: join(dir, 'client.crt'),
    key: join(dir, 'client.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
}

function healthyTls(endpoint: string, tls: EtcdTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      `${endpoint}/health`,
      { ca: readFileSync(tls.cacert), cert: readFileSync(tls.cert), key: readFileSync(tls.key), timeout: 1000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
      },
    );
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
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

/**
 * Starts a one-member etcd on free loopback ports with a fresh data dir; retries if a port was
 * taken. With `tls`, clients must use https and a certificate from the test CA (needs openssl).
 */
export async function startEtcd(opts: { tls?: boolean; extraArgs?: string[]; restoreFrom?: string } = {}): Promise<EtcdServer> {
  const bin = etcdBinary();
  if (bin === null) throw new Error('no etcd binary found (install etcd-server or set ETCD_BIN)');
  let lastError = '';
  for (let attempt = 0; attempt < 3; attempt++) {
    const baseDir = await mkdtemp(join(tmpdir(), 'k8s-enc-etcd-'));
    const [client, peer] = [await freePort(), await freePort()];
    const certs = opts.tls === true ? makeTestCertificates(baseDir) : undefined;
    const endpoint = `${certs ? 'https' : 'http'}://127.0.0.1:${client}`;
    const tlsArgs = certs
      ? [`--cert-file=${certs.serverCert}`, `--key-file=${certs.serverKey}`, `--trusted-ca-file=${certs.cacert}`, '--client-cert-auth']
      : [];
    const peerUrl = `http://127.0.0.1:${peer}`;
    // `etcdctl snapshot restore` makes the data dir itself (it refuses an existing one), for this member.
    const dataDir = opts.restoreFrom === undefined ? baseDir : join(baseDir, 'restored');
    if (opts.restoreFrom !== undefined) {
      const restore = ['snapshot', 'restore', opts.restoreFrom, `--data-dir=${dataDir}`, '--name=test'];
      restore.push(`--initial-cluster=test=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`);
      execFileSync(etcdctlBinary(), restore, { env: { ...process.env, ETCDCTL_API: '3' }, stdio: 'pipe' });
    }
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
        ...tlsArgs,
        ...(opts.extraArgs ?? []),
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
      await rm(baseDir, { recursive: true, force: true });
    };
    const deadline = Date.now() + 15000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (certs ? await healthyTls(endpoint, certs) : await healthy(endpoint)) {
        const server: EtcdServer = { endpoint, dataDir, dbPath: join(dataDir, 'member', 'snap', 'db'), pid: child.pid!, halt, stop };
        if (certs) server.tls = { cacert: certs.cacert, cert: certs.cert, key: certs.key };
        return server;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    lastError = stderr.slice(-2000);
    await stop();
  }
  throw new Error(`etcd did not become healthy: ${lastError}`);
}
