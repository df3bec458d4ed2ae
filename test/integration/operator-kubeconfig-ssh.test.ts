/**
 * `--kubeconfig-ssh` against a real sshd (Debian openssh-server) on 127.0.0.1 with its own config,
 * host key and authorized_keys in a temp dir: the kubeconfig is fetched over SFTP when the host
 * key is in known_hosts (plain or hashed), and refused — before authenticating — when it is
 * unknown or different.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { fetchKubeconfigOverSsh, HostKeyError } from '../../operator/src/controller/kubeconfig-ssh.js';
import { loadKubeConfig } from '../../operator/src/controller/run-operator.js';
import { parseSshTarget } from '../../operator/src/controller/ssh-target.js';
import { freePort } from './operator-harness.js';

const SSHD = '/usr/sbin/sshd';
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: lab
    cluster: { server: "https://10.0.0.10:6443", insecure-skip-tls-verify: true }
users:
  - name: admin
    user: { token: "t0k3n" }
contexts:
  - name: lab
    context: { cluster: lab, user: admin }
current-context: lab
`;

let dir: string;
let port: number;
let sshd: ChildProcess;
let hostPublic: string;
let sshdLog = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fa-sshd-'));
  const host = ssh2.utils.generateKeyPairSync('ed25519');
  const client = ssh2.utils.generateKeyPairSync('ed25519');
  hostPublic = host.public.trim();
  writeFileSync(join(dir, 'host_ed25519'), host.private, { mode: 0o600 });
  writeFileSync(join(dir, 'client_ed25519'), client.private, { mode: 0o600 });
  writeFileSync(join(dir, 'authorized_keys'), `${client.public}\n`, { mode: 0o600 });
  writeFileSync(join(dir, 'admin.conf'), KUBECONFIG, { mode: 0o600 });
  port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      // Keys live under /tmp, whose permissions sshd's StrictModes would reject.
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
    ].join('\n'),
  );
  // sshd run as root needs its privilege-separation directory.
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  sshd = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr?.on('data', (d: Buffer) => (sshdLog += d.toString()));
  // Ready when the port accepts connections.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited ${sshd.exitCode}: ${sshdLog}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`sshd did not listen: ${sshdLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 20_000);

afterAll(async () => {
  if (sshd && sshd.exitCode === null) {
    const exited = new Promise<void>((r) => sshd.once('exit', () => r()));
    sshd.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

function knownHosts(name: string, line: string): string {
  const file = join(dir, name);
  writeFileSync(file, `${line}\n`);
  return file;
}

function target(): ReturnType<typeof parseSshTarget> {
  return parseSshTarget(`${userInfo().username}@127.0.0.1:${port}:${join(dir, 'admin.conf')}`);
}

describe('--kubeconfig-ssh against a real sshd', () => {
  it('fetches the kubeconfig when the host key is in known_hosts ([host]:port form)', async () => {
    const file = knownHosts('known_plain', `[127.0.0.1]:${port} ${hostPublic}`);
    const text = await fetchKubeconfigOverSsh({
      target: target(),
      identityFile: join(dir, 'client_ed25519'),
      knownHostsFile: file,
      timeoutMs: 5000,
    });
    expect(text).toBe(KUBECONFIG);
    // And the operator's loader turns it into a working KubeConfig.
    const kc = await loadKubeConfig({
      mode: 'ssh',
      target: target(),
      identityFile: join(dir, 'client_ed25519'),
      knownHostsFile: file,
      timeoutMs: 5000,
    });
    expect({ server: kc.getCurrentCluster()?.server, user: kc.getCurrentUser()?.token }).toEqual({
      server: 'https://10.0.0.10:6443',
      user: 't0k3n',
    });
  });

  it('accepts a hashed known_hosts entry', async () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(`[127.0.0.1]:${port}`).digest('base64');
    const file = knownHosts('known_hashed', `|1|${salt.toString('base64')}|${hash} ${hostPublic}`);
    await expect(
      fetchKubeconfigOverSsh({ target: target(), identityFile: join(dir, 'client_ed25519'), knownHostsFile: file, timeoutMs: 5000 }),
    ).resolves.toBe(KUBECONFIG);
  });

  // Each row: a known_hosts that must not let the connection through → the refusal's reason.
  const refusals = [
    // A different key for this host: a man in the middle, or a reinstalled master.
    { name: 'wrong host key', line: () => `[127.0.0.1]:${port} ${ssh2.utils.generateKeyPairSync('ed25519').public}`, reason: 'mismatch' },
    // The host is not listed at all (another port's entry does not count).
    { name: 'unknown host', line: () => `127.0.0.1 ${hostPublic}`, reason: 'unknown-host' },
  ];
  it.each(refusals)('refuses: $name', async ({ line, reason }) => {
    const file = knownHosts(`known_${reason}`, line());
    const err = await fetchKubeconfigOverSsh({
      target: target(),
      identityFile: join(dir, 'client_ed25519'),
      knownHostsFile: file,
      timeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HostKeyError);
    expect((err as HostKeyError).verdict.reason).toBe(reason);
  });
});
