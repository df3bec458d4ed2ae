/**
 * External binaries the tests run for real: helm and kubectl (scripts/fetch-tools.sh puts them in
 * .tools/bin/; `.ci/run` calls it), promtool and prometheus (Debian package `prometheus`).
 *
 * A missing tool FAILS the tests that need it, so CI cannot go green without having run them.
 * Set FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1 to skip them instead (a laptop without the tools).
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const ALLOW_MISSING_TOOLS = process.env.FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS === '1';

/** `$<NAME>` (e.g. $KUBECTL), then .tools/bin, then PATH: the first executable `name`; undefined when none. */
export function findTool(name: string): string | undefined {
  const fromEnv = process.env[name.toUpperCase()];
  const candidates = [
    ...(fromEnv ? [fromEnv] : []),
    join(REPO_ROOT, '.tools', 'bin', name),
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name)),
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

/**
 * `describe` for tests that need `tool`: runs them when it is there; when it is not, a single
 * failing test says how to get it (or, with FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1, skips them).
 */
export function describeWithTool(tool: 'helm' | 'kubectl', name: string, body: () => void): void {
  const path = tool === 'helm' ? HELM : KUBECTL;
  if (path !== undefined) {
    describe(name, body);
  } else if (ALLOW_MISSING_TOOLS) {
    describe.skip(`${name} (${tool} missing, FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1)`, body);
  } else {
    describe(name, () => {
      it(`needs the ${tool} binary`, () => {
        throw new Error(
          `${tool} not found in $${tool.toUpperCase()}, .tools/bin or on PATH: run \`bash scripts/fetch-tools.sh\` ` +
            '(or set FAAS_AUTOSCALER_ALLOW_MISSING_TOOLS=1 to skip these tests)',
        );
      });
    });
  }
}

export const describeWithHelm = (name: string, body: () => void): void => describeWithTool('helm', name, body);
export const describeWithKubectl = (name: string, body: () => void): void => describeWithTool('kubectl', name, body);
