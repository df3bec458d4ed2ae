/**
 * Helpers for the tests against the real kube-apiserver (v1.20.2 from Debian's `kubernetes` source
 * package, built by scripts/fetch-kube-apiserver.sh) and etcd: start them in a temp dir, run kubectl
 * and raw REST calls against them, and against the emulated API server side by side, so a
 * difference between the two is seen.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { startKubeApiserver, type KubeApiserverProcess } from '../../operator/src/sandbox/kube-apiserver-process.js';
import { ETCD, KUBE_APISERVER, KUBECTL } from '../support/tools.js';

export { describeWithKubeApiserver, HELM, KUBE_APISERVER, KUBECTL, REPO_ROOT } from '../support/tools.js';

export interface RealApi {
  proc: KubeApiserverProcess;
  dir: string;
  /** A REST call with the admin token; the answer's status and parsed body. */
  rest(method: string, path: string, body?: unknown, contentType?: string): Promise<{ code: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startRealApi(name: string): Promise<RealApi> {
  const dir = mkdtempSync(join(tmpdir(), `real-api-${name}-`));
  const proc = await startKubeApiserver({ binary: KUBE_APISERVER!, etcdBinary: ETCD, dir });
  const dispatcher = new Agent({ connect: { ca: readFileSync(proc.caFile) } });
  return {
    proc,
    dir,
    rest: (method, path, body, contentType) =>
      restCall({ url: proc.url, token: proc.adminToken, dispatcher }, method, path, body, contentType),
    stop: async () => {
      await dispatcher.close();
      await proc.stop();
      if (process.env.E2E_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A REST call to either server (the emulator over http needs no dispatcher or token). */
export async function restCall(
  target: { url: string; token?: string; dispatcher?: Agent },
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ code: number; body: Record<string, unknown> }> {
  const res = await undiciFetch(`${target.url}${path}`, {
    method,
    dispatcher: target.dispatcher,
    headers: {
      accept: 'application/json',
      ...(target.token ? { authorization: `Bearer ${target.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { code: res.status, body: parsed };
}

/** kubectl as a child process (asynchronously: an emulated API server answers from this process). */
export function kubectl(kubeconfig: string, args: readonly string[], input?: string): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const home = mkdtempSync(join(tmpdir(), 'kubectl-home-'));
    const child = spawn(KUBECTL!, [...args], { env: { PATH: process.env.PATH ?? '', HOME: home, KUBECONFIG: kubeconfig } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(home, { recursive: true, force: true });
      resolve({ status: code ?? -1, out });
    });
    child.stdin.end(input ?? '');
  });
}
