/**
 * A kubeconfig for the sandbox's API server: the emulated one over plain http, or the real one
 * over https with its CA; a bearer token user. For http, both
 * `@kubernetes/client-node` and `kubectl` accept an `http://` server (client-node only with
 * `insecure-skip-tls-verify: true`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  /** Base URL of the API server, e.g. `http://127.0.0.1:40123`. */
  server: string;
  /** Bearer token (default `sandbox-token`). */
  token?: string;
  /** Default namespace of the context. */
  namespace?: string;
  /** Name of the cluster, user and context (default `faas-sandbox`). */
  name?: string;
  /** Base64 PEM of the CA that signed an https server's certificate. */
  certificateAuthorityData?: string;
}

export function kubeconfigObject(opts: KubeconfigOptions): Record<string, unknown> {
  const name = opts.name ?? 'faas-sandbox';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // client-node 1.x refuses an http:// server unless TLS verification is "skipped" (there is no
    // TLS to verify); kubectl ignores the flag for http.
    clusters: [
      {
        name,
        cluster: opts.certificateAuthorityData
          ? { server: opts.server, 'certificate-authority-data': opts.certificateAuthorityData }
          : { server: opts.server, 'insecure-skip-tls-verify': true },
      },
    ],
    users: [{ name, user: { token: opts.token ?? 'sandbox-token' } }],
    contexts: [{ name, context: { cluster: name, user: name, ...(opts.namespace ? { namespace: opts.namespace } : {}) } }],
    'current-context': name,
    preferences: {},
  };
}

export function kubeconfigYaml(opts: KubeconfigOptions): string {
  return stringify(kubeconfigObject(opts));
}

/** Writes the kubeconfig (mode 0600, like kubectl does) and returns its path. */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, kubeconfigYaml(opts), { mode: 0o600 });
  return path;
}
