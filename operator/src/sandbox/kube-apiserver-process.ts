/**
 * The real Kubernetes API server as child processes: etcd (Debian's `etcd-server`) and
 * kube-apiserver (built from Debian's `kubernetes` source package by
 * `scripts/fetch-kube-apiserver.sh`). Used by `sandbox --kube-apiserver PATH` and the tests that
 * must hold against upstream code rather than the emulator in kube-api.ts.
 *
 * Configured like a small real cluster's control plane, so what the operator meets is what it meets
 * in production:
 *   - TLS with a CA made here (openssl), the CA in the kubeconfig;
 *   - token authentication (`--token-auth-file`): an admin in `system:masters`;
 *   - `--authorization-mode=Node,RBAC`: a ServiceAccount gets exactly what its Roles grant;
 *   - service-account token signing (`--service-account-signing-key-file`), so
 *     `kubectl create token <sa>` and the TokenRequest API work;
 *   - an audit log (level Metadata) at `<dir>/audit.log`, to check every call's verb and code.
 * No controller-manager, scheduler or kubelet runs: what they would do for function Deployments is
 * done by api-deployment-controller.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { startChild, type ChildHandle } from './child-process.js';
import { writeKubeconfig } from './kubeconfig.js';
import { freePort } from './prometheus-process.js';

export interface KubeApiserverOptions {
  /** The kube-apiserver binary (scripts/fetch-kube-apiserver.sh prints its path). */
  binary: string;
  /** etcd binary; default `etcd` on PATH, else /usr/bin/etcd. */
  etcdBinary?: string;
  /** Folder for certificates, etcd data, logs, the audit log and kubeconfig. */
  dir: string;
  host?: string;
  /** The API server's port; 0 or absent: a free one. Kept across restarts. */
  port?: number;
  /** How long to wait for /readyz. Default 90 s (a first start on 2 cores takes 5–15 s). */
  readyTimeoutMs?: number;
}

export interface KubeApiserverProcess {
  /** https://host:port */
  url: string;
  /** kubeconfig of the admin user (system:masters), with the CA. */
  kubeconfig: string;
  adminToken: string;
  caFile: string;
  auditLog: string;
  /** `kube-apiserver --version`, e.g. `Kubernetes v1.20.2`. */
  version: string;
  /** Kills the API server (SIGKILL: a crash, no graceful shutdown); etcd keeps the state. */
  kill(): Promise<void>;
  /** Starts the API server again on the same port and waits for /readyz. */
  start(): Promise<void>;
  /** Stops the API server and etcd. */
  stop(): Promise<void>;
}

/** etcd on PATH or /usr/bin/etcd. */
export function findEtcd(): string | undefined {
  for (const dir of [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/bin']) {
    if (existsSync(join(dir, 'etcd'))) return join(dir, 'etcd');
  }
  return undefined;
}

export async function startKubeApiserver(opts: KubeApiserverOptions): Promise<KubeApiserverProcess> {
  const host = opts.host ?? '127.0.0.1';
  if (!existsSync(opts.binary))
    throw new Error(`kube-apiserver: ${opts.binary} does not exist (bash scripts/fetch-kube-apiserver.sh builds it and prints its path)`);
  const etcdBinary = opts.etcdBinary ?? findEtcd();
  if (!etcdBinary)
    throw new Error('etcd is not installed (Debian: apt-get install -y etcd-server; scripts/fetch-kube-apiserver.sh does it)');
  const version = execFileSync(opts.binary, ['--version'], { encoding: 'utf8' }).trim();
  mkdirSync(opts.dir, { recursive: true });
  const pki = makePki(join(opts.dir, 'pki'), host);
  const adminToken = randomBytes(24).toString('base64url');
  const tokenFile = join(opts.dir, 'tokens.csv');
  writeFileSync(tokenFile, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const auditPolicy = join(opts.dir, 'audit-policy.yaml');
  writeFileSync(auditPolicy, 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    omitStages: [RequestReceived]\n');
  const auditLog = join(opts.dir, 'audit.log');

  const etcdPort = await freePort(host);
  const peerPort = await freePort(host);
  const etcdUrl = `http://${host}:${etcdPort}`;
  const etcd = await startChild({
    name: 'etcd',
    binary: etcdBinary,
    args: [
      '--name=sandbox',
      `--data-dir=${join(opts.dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://${host}:${peerPort}`,
      `--initial-advertise-peer-urls=http://${host}:${peerPort}`,
      `--initial-cluster=sandbox=http://${host}:${peerPort}`,
      '--log-level=warn',
    ],
    logFile: join(opts.dir, 'etcd.log'),
    ready: async () => (await fetch(`${etcdUrl}/health`)).ok,
    readyTimeoutMs: 30_000,
  });

  const port = opts.port || (await freePort(host));
  const url = `https://${host}:${port}`;
  const ca = readFileSync(pki.caCert);
  const dispatcher = new Agent({ connect: { ca } });
  const args = [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${host}`,
    `--advertise-address=${host}`,
    `--secure-port=${port}`,
    '--insecure-port=0',
    `--tls-cert-file=${pki.serverCert}`,
    `--tls-private-key-file=${pki.serverKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--token-auth-file=${tokenFile}`,
    '--authorization-mode=Node,RBAC',
    `--service-account-key-file=${pki.saPublic}`,
    `--service-account-signing-key-file=${pki.saKey}`,
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    '--api-audiences=https://kubernetes.default.svc.cluster.local',
    // The Service CIDR is bookkeeping for the `kubernetes` Service object; nothing routes to it.
    '--service-cluster-ip-range=10.96.0.0/24',
    `--audit-policy-file=${auditPolicy}`,
    `--audit-log-path=${auditLog}`,
    `--cert-dir=${join(opts.dir, 'pki')}`,
    '--profiling=false',
    '--v=1',
  ];
  const readyTimeoutMs = opts.readyTimeoutMs ?? 90_000;
  let apiserver: ChildHandle | undefined;
  const start = async (): Promise<void> => {
    apiserver = await startChild({
      name: 'kube-apiserver',
      binary: opts.binary,
      args,
      logFile: join(opts.dir, 'kube-apiserver.log'),
      ready: async () => {
        const res = await undiciFetch(`${url}/readyz`, { dispatcher, headers: { authorization: `Bearer ${adminToken}` } });
        return res.status === 200;
      },
      readyTimeoutMs,
    });
  };
  try {
    await start();
  } catch (err) {
    await etcd.stop();
    throw err;
  }
  const kubeconfig = await writeKubeconfig(join(opts.dir, 'kubeconfig'), {
    server: url,
    token: adminToken,
    namespace: 'default',
    certificateAuthorityData: ca.toString('base64'),
  });
  return {
    url,
    kubeconfig,
    adminToken,
    caFile: pki.caCert,
    auditLog,
    version,
    kill: async () => apiserver?.stop(0),
    start,
    stop: async () => {
      await apiserver?.stop();
      await etcd.stop();
      await dispatcher.close();
    },
  };
}

interface Pki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  saKey: string;
  saPublic: string;
}

/** A CA, a serving certificate for `host` (and localhost), and the service-account key pair. */
function makePki(dir: string, host: string): Pki {
  mkdirSync(dir, { recursive: true });
  const p = (f: string): string => join(dir, f);
  const pki: Pki = {
    caCert: p('ca.crt'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    saKey: p('sa.key'),
    saPublic: p('sa.pub'),
  };
  if (existsSync(pki.serverCert) && existsSync(pki.saPublic)) return pki;
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    p('ca.key'),
    '-out',
    pki.caCert,
    '-days',
    '30',
    '-subj',
    '/CN=faas-autoscaler-sandbox-ca',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pki.serverKey, '-out', p('apiserver.csr'), '-subj', '/CN=kube-apiserver');
  const san = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? `IP:${host}` : `DNS:${host}`;
  writeFileSync(
    p('apiserver.ext'),
    `subjectAltName=${san},DNS:localhost,IP:127.0.0.1,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    p('apiserver.csr'),
    '-CA',
    pki.caCert,
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    pki.serverCert,
    '-days',
    '30',
    '-extfile',
    p('apiserver.ext'),
  );
  openssl('genrsa', '-out', pki.saKey, '2048');
  openssl('rsa', '-in', pki.saKey, '-pubout', '-out', pki.saPublic);
  return pki;
}
