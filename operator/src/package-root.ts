/**
 * Files shipped with the package (traces/, models/, crds/) are found relative to the package root,
 * not the working directory, so `npx faas-autoscaler demo` works from anywhere and the same code
 * runs from `dist/` and from the TypeScript sources under ts-jest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'faas-autoscaler';
let cached: string | undefined;

/** The directory holding this project's package.json (walking up from this file). */
export function packageRoot(): string {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
      cached = dir;
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${start}`);
  }
}

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
