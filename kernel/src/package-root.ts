/**
 * The installed package's root (the directory of its package.json), found by walking up from this
 * module, so the same code works from the TypeScript sources (ts-jest) and from `dist/`; and the
 * package's version, for `--version`. Both CLIs and the operator's bundled-file lookups use it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'faas-autoscaler';
let cached: { root: string; version: string } | undefined;

function find(): { root: string; version: string } {
  if (cached) return cached;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === PACKAGE_NAME) {
        cached = { root: dir, version: pkg.version ?? 'unknown' };
        return cached;
      }
    }
    if (dirname(dir) === dir) throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${start}`);
  }
}

/** The directory holding this project's package.json. */
export function packageRoot(): string {
  return find().root;
}

/** The package's version (package.json). */
export function packageVersion(): string {
  return find().version;
}
