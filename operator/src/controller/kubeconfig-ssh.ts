/**
 * `--kubeconfig-ssh user@host[:port]:path`: fetch the kubeconfig from a master node over SFTP with
 * ssh2, authenticating with a private key and verifying the server's host key against a
 * known_hosts file. An unknown or changed host key is refused before any credential is sent
 * (ssh2 calls `hostVerifier` during key exchange, before user authentication).
 */
import { readFile } from 'node:fs/promises';
// Default import: ssh2 is CommonJS, and not every ESM loader (jest 29's) sees its named exports.
import ssh2 from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import { InputError } from '#kernel/input-error.js';
import { checkHostKey, hostKeyAlgorithmsFor, hostLookupName, parseKnownHosts, type HostKeyVerdict } from './known-hosts.js';

export { parseSshTarget, type SshTarget } from './ssh-target.js';
import type { SshTarget } from './ssh-target.js';

export class HostKeyError extends Error {
  constructor(readonly verdict: Extract<HostKeyVerdict, { ok: false }>) {
    super(verdict.message);
    this.name = 'HostKeyError';
  }
}

export interface FetchOverSshOptions {
  target: SshTarget;
  /** Private key file (OpenSSH or PEM). */
  identityFile: string;
  passphrase?: string;
  knownHostsFile: string;
  timeoutMs?: number;
}

export async function fetchKubeconfigOverSsh(opts: FetchOverSshOptions): Promise<string> {
  const { target } = opts;
  const [privateKey, knownHostsText] = await Promise.all([
    readFile(opts.identityFile).catch((err: unknown) => {
      throw new InputError(`--ssh-identity: cannot read ${opts.identityFile}: ${(err as Error).message}`, { cause: err });
    }),
    readFile(opts.knownHostsFile, 'utf8').catch((err: unknown) => {
      throw new InputError(`--ssh-known-hosts: cannot read ${opts.knownHostsFile}: ${(err as Error).message}`, { cause: err });
    }),
  ]);
  const entries = parseKnownHosts(knownHostsText);
  const lookup = hostLookupName(target.host, target.port);
  const algorithms = hostKeyAlgorithmsFor(entries, lookup);
  let rejection: HostKeyError | undefined;

  const config: ConnectConfig = {
    host: target.host,
    port: target.port,
    username: target.username,
    privateKey,
    passphrase: opts.passphrase,
    readyTimeout: opts.timeoutMs ?? 10_000,
    // Without a hostVerifier ssh2 accepts any host key. With no hostHash set it receives the raw key blob.
    hostVerifier: (key: Buffer): boolean => {
      const verdict = checkHostKey(entries, lookup, key, opts.knownHostsFile);
      if (!verdict.ok) rejection = new HostKeyError(verdict);
      return verdict.ok;
    },
    ...(algorithms.length > 0
      ? { algorithms: { serverHostKey: algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] } }
      : {}),
  };

  const conn = new ssh2.Client();
  try {
    return await new Promise<string>((resolve, reject) => {
      conn.on('error', (err) => reject(rejection ?? new Error(`ssh ${target.username}@${lookup}: ${err.message}`, { cause: err })));
      conn.on('ready', () => {
        conn.sftp((err, sftp) => {
          if (err) {
            reject(new Error(`ssh ${lookup}: no SFTP subsystem: ${err.message}`, { cause: err }));
            return;
          }
          sftp.readFile(target.path, (err2, data) => {
            if (err2) reject(new Error(`ssh ${lookup}: cannot read ${target.path}: ${err2.message}`, { cause: err2 }));
            else resolve(data.toString('utf8'));
          });
        });
      });
      conn.connect(config);
    });
  } finally {
    conn.end();
  }
}
