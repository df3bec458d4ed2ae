/** `faas-autoscaler <version>` for the provenance of recordings and profiles. */
import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';

export function toolVersion(): string {
  try {
    return `faas-autoscaler ${(JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'}`;
  } catch {
    return 'faas-autoscaler';
  }
}
