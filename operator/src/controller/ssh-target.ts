/** `--kubeconfig-ssh` target parsing (no ssh2 import, so the CLI can validate flags cheaply). */
import { InputError } from '#kernel/input-error.js';

export interface SshTarget {
  username: string;
  host: string;
  port: number;
  path: string;
}

/** `user@host:path`, `user@host:port:path`, `user@[::1]:port:path`. */
export function parseSshTarget(text: string): SshTarget {
  const m = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d+))?:(.+)$/.exec(text);
  if (!m) {
    throw new InputError(
      `--kubeconfig-ssh: ${JSON.stringify(text)} is not user@host[:port]:path (e.g. admin@10.0.0.10:/etc/kubernetes/admin.conf)`,
    );
  }
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!(port >= 1 && port <= 65535)) throw new InputError(`--kubeconfig-ssh: port ${m[3]} is not in 1..65535`);
  return { username: m[1], host: m[2].replace(/^\[|\]$/g, ''), port, path: m[4] };
}
