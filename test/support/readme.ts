/**
 * The README's guides are tested as written: a section between `<!-- NAME:start -->` and
 * `<!-- NAME:end -->` is read back by the tests that run or check it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './tools.js';

export const README = join(REPO_ROOT, 'README.md');

export function readmeSection(name: string): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(`<!-- ${name}:start -->`);
  const end = text.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end < start) throw new Error(`README.md: no section between <!-- ${name}:start --> and <!-- ${name}:end -->`);
  return text.slice(start, end + `<!-- ${name}:end -->`.length);
}
