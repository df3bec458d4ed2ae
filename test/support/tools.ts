/**
 * External binaries the tests run for real: helm and kubectl (scripts/fetch-tools.sh puts them in
 * .tools/bin/; `.ci/run` calls it), promtool and prometheus (Debian package `prometheus`), and
 * kube-apiserver with etcd (scripts/fetch-kube-apiserver.sh builds the one and installs the other;
 * `.ci/run` calls it).
 *
 * A missing tool FAILS the tests that need it, so CI cannot go green without having run them.
 * Set FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1 to skip them instead (a laptop without the tools).
 */
import { accessSync, constants } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const ALLOW_MISSING_TOOLS = process.env.FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS === '1';

/** Where scripts/fetch-kube-apiserver.sh caches the binary it builds. */
export const KUBE_APISERVER_CACHE = join(
  process.env.FAAS_AUTOSCALER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'faas-autoscaler'),
  'kube-apiserver-v1.20.2',
);

/**
 * `$<NAME>` (e.g. $KUBECTL, $KUBE_APISERVER), then .tools/bin, then the kube-apiserver build cache,
 * then PATH: the first executable `name`; undefined when none.
 */
export function findTool(name: string): string | undefined {
  const fromEnv = process.env[name.toUpperCase().replace(/-/g, '_')];
  const candidates = [
    ...(fromEnv ? [fromEnv] : []),
    join(REPO_ROOT, '.tools', 'bin', name),
    join(KUBE_APISERVER_CACHE, name),
    ...(process.env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, name)),
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  return undefined;
}

export const HELM = findTool('helm');
export const KUBECTL = findTool('kubectl');
export const KUBE_APISERVER = findTool('kube-apiserver');
export const ETCD = findTool('etcd');
/** Debian's `chromium`, for rendering the HTML report. */
export const CHROMIUM = findTool('chromium');

/**
 * `describe` for tests that need `tool`: runs them when it is there; when it is not, a single
 * failing test says how to get it (or, with FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1, skips them).
 */
export function describeWithTool(tool: 'helm' | 'kubectl' | 'kube-apiserver' | 'chromium', name: string, body: () => void): void {
  const paths = { helm: [HELM], kubectl: [KUBECTL], 'kube-apiserver': [KUBE_APISERVER, ETCD, HELM, KUBECTL], chromium: [CHROMIUM] }[tool];
  const path = paths.every((p) => p !== undefined) ? paths[0] : undefined;
  const fetch = {
    helm: 'bash scripts/fetch-tools.sh',
    kubectl: 'bash scripts/fetch-tools.sh',
    'kube-apiserver': 'bash scripts/fetch-kube-apiserver.sh` (builds it, installs etcd) and `bash scripts/fetch-tools.sh',
    chromium: 'apt-get install -y chromium',
  }[tool];
  if (path !== undefined) {
    describe(name, body);
  } else if (ALLOW_MISSING_TOOLS) {
    describe.skip(`${name} (${tool} missing, FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1)`, body);
  } else {
    describe(name, () => {
      it(`needs the ${tool} binary`, () => {
        throw new Error(
          `${tool} (or a tool it needs) not found in $${tool.toUpperCase().replace(/-/g, '_')}, .tools/bin or on PATH: run \`${fetch}\` ` +
            '(or set FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1 to skip these tests)',
        );
      });
    });
  }
}

export const describeWithHelm = (name: string, body: () => void): void => describeWithTool('helm', name, body);
export const describeWithKubectl = (name: string, body: () => void): void => describeWithTool('kubectl', name, body);
/** Tests that render pages in headless Chromium (Debian `chromium`). */
export const describeWithChromium = (name: string, body: () => void): void => describeWithTool('chromium', name, body);
/** Tests against the real API server: kube-apiserver, etcd, helm and kubectl all present. */
export const describeWithKubeApiserver = (name: string, body: () => void): void => describeWithTool('kube-apiserver', name, body);
