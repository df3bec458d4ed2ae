/**
 * The real `helm` binary, for the chart tests (found and required as test/support/tools.ts says).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export { ALLOW_MISSING_TOOLS, describeWithHelm, findTool, HELM, REPO_ROOT } from '../../support/tools.js';
import { HELM, REPO_ROOT } from '../../support/tools.js';

export const CHART_DIR = join(REPO_ROOT, 'charts', 'faas-autoscaler');

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run helm with `args`; values objects are written to temporary files and passed with -f. */
export function helm(args: readonly string[], values: readonly object[] = []): HelmResult {
  if (HELM === undefined) throw new Error('helm not found (see describeWithHelm)');
  const dir = mkdtempSync(join(tmpdir(), 'fas-chart-'));
  try {
    const valueArgs = values.flatMap((v, i) => {
      const file = join(dir, `values-${i}.json`);
      writeFileSync(file, JSON.stringify(v));
      return ['-f', file];
    });
    const run = spawnSync(HELM, [...args, ...valueArgs], {
      encoding: 'utf8',
      // No cluster is reachable here; keep helm from reading the user's kubeconfig and caches.
      env: {
        ...process.env,
        KUBECONFIG: join(dir, 'no-kubeconfig'),
        HELM_CACHE_HOME: join(dir, 'cache'),
        HELM_CONFIG_HOME: join(dir, 'config'),
        HELM_DATA_HOME: join(dir, 'data'),
      },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.error) throw run.error;
    const stderr = run.stderr.trim();
    return { status: run.status ?? -1, stdout: run.stdout, stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A rendered Kubernetes object, loosely typed: tests reach into it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

export interface RenderOptions {
  values?: object;
  releaseName?: string;
  namespace?: string;
  /** Include the CRDs from crds/ (helm template --include-crds). */
  includeCrds?: boolean;
  chartDir?: string;
}

/** `helm template`; throws with helm's message when it fails. */
export function helmTemplate(opts: RenderOptions = {}): Manifest[] {
  const result = helmTemplateRaw(opts);
  if (result.status !== 0) {
    throw new Error(`helm template failed (exit ${result.status}):\n${result.stderr}`);
  }
  return parseManifests(result.stdout);
}

export function helmTemplateRaw(opts: RenderOptions = {}): HelmResult {
  const args = ['template', opts.releaseName ?? 'fas', opts.chartDir ?? CHART_DIR, '--namespace', opts.namespace ?? 'openfaas'];
  if (opts.includeCrds) args.push('--include-crds');
  return helm(args, opts.values ? [opts.values] : []);
}

/** Every non-empty YAML document in a multi-document stream. */
export function parseManifests(text: string): Manifest[] {
  const docs = parseAllDocuments(text);
  const out: Manifest[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`invalid YAML from helm: ${doc.errors[0]!.message}`);
    const value = doc.toJS({ maxAliasCount: 1000 }) as Manifest | null;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** The one manifest of `kind` named `name` (any namespace unless given). */
export function findManifest(manifests: readonly Manifest[], kind: string, name?: string, namespace?: string): Manifest {
  const found = manifests.filter(
    (m) =>
      m.kind === kind &&
      (name === undefined || m.metadata.name === name) &&
      (namespace === undefined || m.metadata.namespace === namespace),
  );
  if (found.length !== 1) {
    const have = manifests.map((m) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`).join(', ');
    throw new Error(`want exactly one ${kind} ${name ?? ''} ${namespace ?? ''}, got ${found.length}; rendered: ${have}`);
  }
  return found[0]!;
}
