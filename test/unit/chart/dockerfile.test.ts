/**
 * No container engine runs here, so the image cannot be built in tests. Instead the Dockerfile is
 * parsed and its key properties checked: the pinned Node 22 slim base, a build stage that compiles
 * TypeScript, `npm ci --omit=dev` in the runtime stage, a numeric non-root USER that matches the
 * chart, the shipped models and CRDs copied in, and `faas-autoscaler operator` as the entrypoint.
 * It also checks that what the Dockerfile COPYs is tracked by git and not excluded by .dockerignore,
 * so a build from a clean checkout finds it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, describeWithHelm, findManifest, helmTemplate } from './helm.js';

interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

/** Instructions with continuation lines joined and comments dropped, each tagged with its stage. */
function parseDockerfile(text: string): { args: Record<string, string>; instructions: Instruction[] } {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  const globalArgs: Record<string, string> = {};
  const instructions: Instruction[] = [];
  let stage = '';
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stage === '') {
      const [name, value] = args.split('=', 2) as [string, string | undefined];
      globalArgs[name] = value ?? '';
    }
    if (upper === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args)?.[1] ?? String(instructions.length);
    instructions.push({ keyword: upper, args: args.replace(/\s+/g, ' '), stage });
  }
  return { args: globalArgs, instructions };
}

const dockerfile = parseDockerfile(readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8'));
const stages = [...new Set(dockerfile.instructions.filter((i) => i.keyword === 'FROM').map((i) => i.stage))];
const finalStage = stages[stages.length - 1]!;
const inStage = (stage: string, keyword: string): Instruction[] =>
  dockerfile.instructions.filter((i) => i.stage === stage && i.keyword === keyword);
const expandArgs = (text: string): string =>
  text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => dockerfile.args[(a ?? b)!] ?? '');

/** COPY sources from the build context (not --from=stage), per stage. */
function contextSources(stage?: string): string[] {
  return dockerfile.instructions
    .filter((i) => i.keyword === 'COPY' && (stage === undefined || i.stage === stage) && !/--from=/.test(i.args))
    .flatMap((i) => {
      const parts = i.args.split(' ').filter((p) => !p.startsWith('--'));
      return parts.slice(0, -1);
    });
}

describe('Dockerfile', () => {
  it('builds FROM a Node 22 slim image pinned to a full version tag, in every stage', () => {
    const bases = dockerfile.instructions.filter((i) => i.keyword === 'FROM').map((i) => expandArgs(i.args.split(' ')[0]!));
    expect(bases.length).toBeGreaterThanOrEqual(2);
    for (const base of bases) expect(base).toMatch(/^node:22\.\d+\.\d+-(bookworm-|bullseye-|trixie-)?slim$/);
  });

  it('compiles TypeScript in a build stage and copies only dist/ from it', () => {
    const build = stages[0]!;
    expect(build).not.toBe(finalStage);
    const runs = inStage(build, 'RUN').map((i) => i.args);
    expect(runs).toEqual(expect.arrayContaining([expect.stringMatching(/npm ci\b/), expect.stringMatching(/npm run build\b/)]));
    const fromBuild = inStage(finalStage, 'COPY').filter((i) => i.args.includes(`--from=${build}`));
    expect(fromBuild.map((i) => i.args)).toEqual([`--from=${build} /src/dist ./dist`]);
  });

  it('compiles everything tsconfig.build.json includes', () => {
    const include = (JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    const copied = contextSources(stages[0]);
    for (const dir of include) expect({ dir, copied: copied.includes(dir) }).toEqual({ dir, copied: true });
  });

  it('installs production dependencies only in the runtime stage, running no install scripts', () => {
    const runs = inStage(finalStage, 'RUN').map((i) => i.args);
    const ci = runs.find((r) => /npm ci\b/.test(r));
    expect(ci).toMatch(/npm ci --omit=dev\b/);
    expect(ci).toMatch(/--ignore-scripts\b/);
  });

  it('runs as a numeric non-root USER, the same uid the chart sets', () => {
    const users = inStage(finalStage, 'USER').map((i) => i.args);
    expect(users).toHaveLength(1);
    const [, uid, gid] = /^(\d+)(?::(\d+))?$/.exec(users[0]!) ?? [];
    expect(Number(uid)).toBeGreaterThan(0);
    // The instruction after USER must not switch back.
    const last = dockerfile.instructions.filter((i) => i.stage === finalStage).map((i) => i.keyword);
    expect(last.lastIndexOf('USER')).toBeGreaterThan(last.lastIndexOf('RUN'));
    // Cross-check with the chart defaults (read from values.yaml through helm where it is present).
    const values = readFileSync(join(REPO_ROOT, 'charts/faas-autoscaler/values.yaml'), 'utf8');
    expect(values).toMatch(new RegExp(`runAsUser: ${uid}\\b`));
    if (gid !== undefined) expect(values).toMatch(new RegExp(`runAsGroup: ${gid}\\b`));
  });

  it('ships the launcher, the CRDs and the models', () => {
    const copied = contextSources(finalStage);
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'bin', 'crds', 'models']));
  });

  it('has a shipped model for each learned policy to copy (models/<policy>/ tracked by git)', () => {
    const tracked = execFileSync('git', ['ls-files', '--', 'models'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
    const missing = ['lstm-ppo-plus', 'lstm-ppo', 'ppo'].filter((p) => !tracked.some((f) => f.startsWith(`models/${p}/`)));
    expect({ missing }).toEqual({ missing: [] });
  });

  it('starts `faas-autoscaler operator` in exec form', () => {
    const entrypoint = inStage(finalStage, 'ENTRYPOINT').map((i) => JSON.parse(i.args) as string[]);
    expect(entrypoint).toEqual([['node', '/app/bin/faas-autoscaler.js', 'operator']]);
    expect(inStage(finalStage, 'WORKDIR').map((i) => i.args)).toEqual(['/app']);
    expect(inStage(finalStage, 'CMD')).toEqual([]);
  });

  it('copies only paths that a clean checkout has and .dockerignore lets through', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    // The file is an allow-list: everything out, then each needed path back in.
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/\*\*$/, ''));
    // models/ is checked by the test above, with a message that says what is missing.
    for (const source of contextSources().filter((s) => s !== 'models')) {
      expect({ source, allowed: allowed.includes(source) }).toEqual({ source, allowed: true });
      expect({ source, exists: existsSync(join(REPO_ROOT, source)) }).toEqual({ source, exists: true });
      const tracked = execFileSync('git', ['ls-files', '--', source], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
      expect({ source, tracked: tracked !== '' }).toEqual({ source, tracked: true });
    }
  });
});

describe('the runtime stage has what the operator imports', () => {
  /** .ts files under `dir`, recursively. */
  const sources = (dir: string): string[] =>
    readdirSync(join(REPO_ROOT, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
    );

  it('imports only production dependencies (the image installs with --omit=dev --omit=optional)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const imported = new Map<string, string>();
    for (const file of [...sources('kernel/src'), ...sources('operator/src'), ...sources('workload-generator/src')]) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      const statements = [
        ...text.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^'.][^']*)'/gm),
        ...text.matchAll(/\bimport\(\s*'([^'.][^']*)'\s*\)/g),
      ];
      for (const m of statements) {
        const spec = m[1]!;
        // node: built-ins; #kernel/…: the package's own subpath imports (package.json "imports").
        if (spec.startsWith('node:') || spec.startsWith('#')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!imported.has(name)) imported.set(name, file);
      }
    }
    expect(imported.size).toBeGreaterThan(0);
    const missing = [...imported].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (imported by ${file})`);
    expect(missing).toEqual([]);
  });
});

describeWithHelm('Dockerfile and chart agree', () => {
  it('the chart runs the image entrypoint with args only (no command override) and the Dockerfile port', () => {
    const container = findManifest(helmTemplate(), 'Deployment').spec.template.spec.containers[0];
    expect(container.command).toBeUndefined();
    const exposed = inStage(finalStage, 'EXPOSE').map((i) => Number(i.args));
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual(exposed);
  });
});
