/**
 * Files shipped with the package (traces/, models/, crds/) are found relative to the package root,
 * not the working directory, so `npx faas-autoscaler demo` works from anywhere and the same code
 * runs from `dist/` and from the TypeScript sources under ts-jest.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { packageRoot } from '#kernel/package-root.js';

export { packageRoot, packageVersion } from '#kernel/package-root.js';

/** A path inside the package, e.g. `packagePath('traces', 'README.md')`. */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}

/**
 * A user-given path as is when it exists (relative to the working directory); otherwise, when it
 * is relative and exists inside the package (a bundled trace or model), that one.
 */
export function resolveBundled(path: string): string {
  if (existsSync(path)) return path;
  const bundled = resolve(packageRoot(), path);
  return existsSync(bundled) ? bundled : path;
}
