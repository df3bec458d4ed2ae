/**
 * The layout the code is read by (docs/architecture.md), checked on every import of the sources,
 * type-only imports included:
 * - no file-level import cycles;
 * - only the command layer (`commands/`, `cli.ts`) imports `commands/`: domain code never does;
 * - the kernel (`kernel/src/`, `#kernel/…`) imports neither the operator nor the load generator,
 *   and the operator reaches the load generator only through the kernel.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { REPO_ROOT } from '../../support/tools.js';

const ROOTS = ['kernel/src', 'operator/src', 'workload-generator/src'];

function sources(dir: string): string[] {
  return readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module a file imports or re-exports (static and dynamic), as repository paths. */
function importsOf(file: string, text: string): string[] {
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*'([^']+)'/gms),
    ...text.matchAll(/^\s*import\s*'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    if (spec.startsWith('#kernel/')) out.push(join('kernel/src', spec.slice('#kernel/'.length)).replace(/\.js$/, '.ts'));
    else if (spec.startsWith('.')) out.push(normalize(join(dirname(file), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const graph = new Map<string, string[]>();
for (const root of ROOTS) for (const file of sources(root)) graph.set(file, importsOf(file, readFileSync(join(REPO_ROOT, file), 'utf8')));

/** Strongly connected components with more than one file (Tarjan). */
function cycles(g: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!g.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return found;
}

const edges = (filter: (from: string, to: string) => boolean): string[] =>
  [...graph].flatMap(([from, tos]) => tos.filter((to) => filter(from, to)).map((to) => `${from} → ${to}`));

describe('source layout', () => {
  it('reads every source file and resolves its imports', () => {
    expect(graph.size).toBeGreaterThan(150);
    // Every relative or #kernel import names a file that exists.
    expect(edges((_from, to) => !graph.has(to))).toEqual([]);
  });

  it('has no import cycles between files', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  it('keeps commands/ to the command layer: domain code never imports it', () => {
    const isCommandLayer = (f: string): boolean => /\/commands\//.test(f) || /\/cli\.ts$/.test(f);
    expect(edges((from, to) => /\/commands\//.test(to) && !isCommandLayer(from))).toEqual([]);
  });

  it('shares code through the kernel only', () => {
    expect(edges((from, to) => from.startsWith('kernel/') && !to.startsWith('kernel/'))).toEqual([]);
    expect(edges((from, to) => from.startsWith('operator/') && to.startsWith('workload-generator/'))).toEqual([]);
    expect(edges((from, to) => from.startsWith('workload-generator/') && to.startsWith('operator/'))).toEqual([]);
    // The import is by the stable name, never by a relative path into the kernel from outside it.
    const relativeIntoKernel = [...graph.keys()]
      .filter((f) => !f.startsWith('kernel/'))
      .filter((f) => /from\s*'(\.\.\/)+kernel\//.test(readFileSync(join(REPO_ROOT, f), 'utf8')));
    expect(relativeIntoKernel).toEqual([]);
  });
});
