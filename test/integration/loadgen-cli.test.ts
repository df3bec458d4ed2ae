/**
 * `faas-loadgen` as users run it: `main(argv)` in-process against a local sink (fast, and the
 * same code the launcher calls), plus the built launcher in a child process for a real SIGINT.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../workload-generator/src/cli.js';
import { loadTrace, rankFunctions, totalInvocations } from '#kernel/traces/index.js';
import { startSink } from './loadgen-sink.js';
import type { Sink } from './loadgen-sink.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI in-process, capturing what it writes. */
async function cli(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stdout += String(chunk);
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await main(['node', 'faas-loadgen', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

let dir: string;
let traceDir: string;
let sink: Sink | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'loadgen-cli-'));
  traceDir = join(dir, 'trace');
  // A small synthetic trace made by the CLI itself: 4 functions, 10 minutes, about 2/s each.
  const made = await cli(
    'generate',
    '--out',
    traceDir,
    '--functions',
    '4',
    '--minutes',
    '10',
    '--seed',
    'cli',
    '--mean-rate',
    '120',
    '--spread',
    '0.5',
  );
  if (made.code !== 0) throw new Error(`generate failed: ${made.stderr}`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('--help', () => {
  it('lists every flag the README documents for replay, and nothing the README leaves out', async () => {
    const help = await cli('replay', '--help');
    expect(help.code).toBe(0);
    const helpFlags = new Set([...help.stdout.matchAll(/^\s+(--[a-z-]+)/gm)].map((m) => m[1]));
    helpFlags.delete('--help');
    const readme = await readFile(new URL('../../workload-generator/README.md', import.meta.url), 'utf8');
    const replaySection = readme.slice(readme.indexOf('## replay'), readme.indexOf('## stats'));
    // The first cell of each table row names one or two flags: | `--from <time>`, `--to <time>` |
    const readmeFlags = new Set(
      replaySection
        .split('\n')
        .filter((l) => l.startsWith('| `--'))
        .flatMap((l) => [...l.split(' | ')[0].matchAll(/`(--[a-z-]+)/g)].map((m) => m[1])),
    );
    expect([...helpFlags].sort()).toEqual([...readmeFlags].sort());
  });

  it('states the defaults the code applies', async () => {
    const help = (await cli('replay', '--help')).stdout.replace(/\s+/g, ' ');
    const { parseReplayFlags } = await import('../../workload-generator/src/commands/replay.js');
    const defaultOf = (flag: string): string => {
      const m = new RegExp(`${flag} <[^>]+>.*?default: "([^"]+)"\\)`).exec(help);
      if (!m) throw new Error(`no default shown for ${flag}`);
      return m[1];
    };
    const settings = parseReplayFlags(
      {
        trace: 't',
        function: 'all',
        arrivals: defaultOf('--arrivals'),
        speedup: defaultOf('--speedup'),
        rateScale: defaultOf('--rate-scale'),
        timeout: defaultOf('--timeout'),
        maxInflight: defaultOf('--max-inflight'),
        lateThreshold: defaultOf('--late-threshold'),
        progress: defaultOf('--progress'),
      },
      {},
    );
    expect({
      mode: settings.mode,
      speedup: settings.speedup,
      rateScale: settings.rateScale,
      timeoutMs: settings.timeoutMs,
      maxInflight: settings.maxInflight,
      lateThresholdMs: settings.lateThresholdMs,
      progress: settings.progress,
      gateway: settings.gateway,
      passes: settings.passes,
    }).toEqual({
      mode: 'poisson',
      speedup: 1,
      rateScale: 1,
      timeoutMs: 30_000,
      maxInflight: 256,
      lateThresholdMs: 10,
      progress: 'auto',
      gateway: 'http://127.0.0.1:8080',
      passes: 1,
    });
    expect(
      parseReplayFlags(
        {
          trace: 't',
          function: 'all',
          arrivals: 'poisson',
          speedup: '1',
          rateScale: '1',
          timeout: '1s',
          maxInflight: '1',
          lateThreshold: '1ms',
          progress: 'auto',
        },
        { OPENFAAS_URL: 'http://gw:31112/' },
      ).gateway,
    ).toBe('http://gw:31112');
  });

  it.each(['stats', 'generate'])('%s --help exits 0 and shows its flags', async (command) => {
    const help = await cli(command, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(command === 'stats' ? '--json' : '--diurnal-amplitude');
  });
});

describe('bad input: one line on stderr, exit code 2', () => {
  const cases: { name: string; args: (trace: string) => string[]; want: RegExp }[] = [
    { name: 'missing trace file', args: () => ['replay', '--trace', '/nonexistent/trace.csv', '--function', 'all'], want: /--trace/ },
    { name: 'selection out of range', args: (t) => ['replay', '--trace', t, '--function', 'top:99'], want: /top:99 is out of range/ },
    {
      name: 'speedup 0',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--speedup', '0'],
      want: /--speedup: must be a number > 0/,
    },
    {
      name: 'bad duration',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--timeout', '5d'],
      want: /--timeout: "5d" is not a duration/,
    },
    {
      name: 'bad map',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--map', 'rank:1'],
      want: /--map: "rank:1" is not traceFn=openfaasFn/,
    },
    {
      name: 'bad gateway',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--gateway', 'ftp://x'],
      want: /--gateway: "ftp:\/\/x" must be an http/,
    },
    {
      name: 'payload neither size nor file',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--payload', 'no-such-body.json'],
      want: /--payload: "no-such-body.json" is neither a size/,
    },
    {
      name: 'zero passes',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--loop', '0'],
      want: /--loop: must be an integer >= 1/,
    },
    {
      // (Below /proc nothing can be created, not even by root, who could make /nonexistent.)
      name: 'unwritable summary',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--summary', '/proc/nonexistent/s.json'],
      want: /--summary: cannot write/,
    },
    {
      name: 'unknown arrivals',
      args: (t) => ['replay', '--trace', t, '--function', 'all', '--arrivals', 'uniform'],
      want: /Allowed choices are poisson, exact/,
    },
    {
      name: 'amplitude above 1',
      args: () => ['generate', '--out', '/tmp/x', '--diurnal-amplitude', '2'],
      want: /--diurnal-amplitude: must be between 0 and 1/,
    },
  ];
  it.each(cases)('$name', async ({ args, want }) => {
    const run = await cli(...args(traceDir));
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 2, stdout: '' });
    expect(run.stderr).toMatch(want);
    expect(run.stderr.includes('    at ')).toBe(false); // no stack trace
  });
});

describe('replay through the CLI', () => {
  it('replays the selected functions to their mapped names and writes the summary and the log', async () => {
    sink = await startSink();
    const summaryFile = join(dir, 'summary.json');
    const logFile = join(dir, 'requests.ndjson');
    const run = await cli(
      'replay',
      '--trace',
      traceDir,
      '--function',
      'top:2',
      '--map',
      'rank:1=busiest,*=second',
      '--gateway',
      sink.url,
      '--arrivals',
      'exact',
      '--speedup',
      '600',
      '--to',
      '3m',
      '--summary',
      summaryFile,
      '--log',
      logFile,
      '--progress',
      'never',
    );
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const printed = JSON.parse(run.stdout);
    expect(JSON.parse(await readFile(summaryFile, 'utf8'))).toEqual(printed);

    const trace = await loadTrace({ trace: traceDir, to: '3m' });
    const [first, second] = rankFunctions(trace);
    expect(Object.fromEntries(sink.counts)).toEqual({
      '/function/busiest': totalInvocations(first),
      '/function/second': totalInvocations(second),
    });
    expect(printed.trace).toMatchObject({ format: 'azure2019', binSeconds: 60, to: '3m', functionSelection: 'top:2' });
    expect(printed.functions.map((f: { traceId: string; openfaasName: string }) => [f.traceId, f.openfaasName])).toEqual([
      [first.id, 'busiest'],
      [second.id, 'second'],
    ]);
    expect({ sent: printed.sent, ok: printed.ok, stoppedBy: printed.stoppedBy }).toEqual({
      sent: sink.total(),
      ok: sink.total(),
      stoppedBy: 'end',
    });
    // Three minute bins scheduled exactly; a send a fraction of a millisecond late at the very end
    // may land in a fourth window, which then shows up with target 0 (accounting by send time).
    const perBin = [0, 1, 2].map((k) => first.counts[k] + second.counts[k]);
    expect(printed.bins.slice(0, 3).map((b: { scheduled: number }) => b.scheduled)).toEqual(perBin);
    expect(printed.bins.slice(3).every((b: { target: number; scheduled: number }) => b.target === 0 && b.scheduled === 0)).toBe(true);
    expect((await readFile(logFile, 'utf8')).trim().split('\n')).toHaveLength(sink.total());
  });

  const onLinux = existsSync('/dev/full') ? it : it.skip;
  onLinux('finishes the run and prints the summary when the log cannot be written (disk full), then exits 1', async () => {
    sink = await startSink();
    const run = await cli(
      'replay',
      '--trace',
      traceDir,
      '--function',
      'top:1',
      '--gateway',
      sink.url,
      '--arrivals',
      'exact',
      '--speedup',
      '600',
      '--to',
      '2m',
      '--log',
      '/dev/full',
      '--progress',
      'never',
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^faas-loadgen: Error: --log: writing \/dev\/full failed, the log is incomplete: ENOSPC/);
    expect(JSON.parse(run.stdout).sent).toBe(sink.total());
  });

  it('stops on SIGINT: no more sends, in-flight requests finish, summary written, exit 130', async () => {
    sink = await startSink(() => ({ status: 200, delayMs: 50 }));
    const summaryFile = join(dir, 'interrupted.json');
    const before = new Set(process.listeners('SIGINT'));
    const running = cli(
      'replay',
      '--trace',
      traceDir,
      '--function',
      'all',
      '--gateway',
      sink.url,
      '--speedup',
      '60',
      '--loop',
      '--summary',
      summaryFile,
      '--progress',
      'never',
      '--seed',
      'sigint',
    );
    while (sink.total() < 30) await new Promise((r) => setTimeout(r, 5));
    // Deliver SIGINT to the CLI's own handler only (emitting it process-wide would reach jest too).
    const added = process.listeners('SIGINT').filter((l) => !before.has(l));
    expect(added).toHaveLength(1);
    (added[0] as (signal: string) => void)('SIGINT');
    const run = await running;
    expect(run.code).toBe(130);
    const summary = JSON.parse(await readFile(summaryFile, 'utf8'));
    expect(JSON.parse(run.stdout)).toEqual(summary);
    expect({ stoppedBy: summary.stoppedBy, passes: summary.config.passes }).toEqual({ stoppedBy: 'signal', passes: 'forever' });
    // Every request sent was answered within the drain, and the sink saw exactly those.
    expect({ ok: summary.ok, sent: summary.sent, errors: summary.errors.total }).toEqual({
      ok: sink.total(),
      sent: sink.total(),
      errors: 0,
    });
    expect(process.listeners('SIGINT').filter((l) => !before.has(l))).toHaveLength(0);
  });
});

describe('stats and generate through the CLI', () => {
  it('describes the generated trace consistently with the trace reader', async () => {
    const run = await cli('stats', '--trace', traceDir, '--json');
    expect(run.code).toBe(0);
    const stats = JSON.parse(run.stdout);
    const trace = await loadTrace({ trace: traceDir });
    expect(stats.functions.map((f: { id: string; total: number }) => [f.id, f.total])).toEqual(
      trace.functions.map((f) => [f.id, totalInvocations(f)]),
    );
    expect(stats.aggregate.total).toBe(trace.functions.reduce((s, f) => s + totalInvocations(f), 0));
    const table = await cli('stats', '--trace', traceDir, '--function', 'top:2');
    expect(table.stdout.trim().split('\n')).toHaveLength(5); // title, header, 2 functions, aggregate
  });

  it('generates the same files from the same seed', async () => {
    const a = join(dir, 'gen-a');
    const b = join(dir, 'gen-b');
    for (const out of [a, b])
      expect((await cli('generate', '--out', out, '--functions', '2', '--minutes', '30', '--seed', 'same')).code).toBe(0);
    for (const f of ['invocations.csv', 'durations.csv', 'memory.csv']) {
      expect(await readFile(join(a, f), 'utf8')).toBe(await readFile(join(b, f), 'utf8'));
    }
  });
});

describe('the built launcher (bin/faas-loadgen.js)', () => {
  const root = new URL('../..', import.meta.url).pathname;
  const built = join(root, 'dist/workload-generator/src/cli.js');

  /** `npm test` builds first; when run alone, rebuild if any source is newer than its output. */
  beforeAll(() => {
    const sources = listTs(join(root, 'workload-generator/src'));
    const stale =
      !existsSync(built) ||
      sources.some((src) => {
        const out = join(root, 'dist', relative(root, src)).replace(/\.ts$/, '.js');
        return !existsSync(out) || statSync(out).mtimeMs < statSync(src).mtimeMs;
      });
    // Other modules' type errors do not stop tsc from emitting ours.
    if (stale) spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'ignore', timeout: 240_000 });
  }, 250_000);

  it('exits 130 with a summary on a real SIGINT', async () => {
    sink = await startSink();
    const child = spawn(
      process.execPath,
      [
        join(root, 'bin/faas-loadgen.js'),
        'replay',
        '--trace',
        traceDir,
        '--function',
        'all',
        '--gateway',
        sink.url,
        '--speedup',
        '60',
        '--loop',
        '--progress',
        'never',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    while (sink.total() < 30) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    const code = await exited;
    expect({ code, stderr }).toEqual({ code: 130, stderr: '' });
    const summary = JSON.parse(stdout);
    expect({ stoppedBy: summary.stoppedBy, ok: summary.ok }).toEqual({ stoppedBy: 'signal', ok: sink.total() });
  });

  it('prints help and exits 0; bad input exits 2 with one line', () => {
    const help = spawnSync(process.execPath, [join(root, 'bin/faas-loadgen.js'), '--help'], { encoding: 'utf8', env: childEnv() });
    expect({ status: help.status, commands: ['replay', 'stats', 'generate'].every((c) => help.stdout.includes(c)) }).toEqual({
      status: 0,
      commands: true,
    });
    const bad = spawnSync(
      process.execPath,
      [join(root, 'bin/faas-loadgen.js'), 'replay', '--trace', traceDir, '--function', 'all', '--speedup', 'x'],
      { encoding: 'utf8', env: childEnv() },
    );
    expect({ status: bad.status, stderr: bad.stderr }).toEqual({
      status: 2,
      stderr: 'faas-loadgen: --speedup: must be a number > 0, got "x"\n',
    });
  });
});

/** The environment without jest's NODE_OPTIONS (its flags would print warnings in the child). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

function listTs(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((e) => {
    const path = join(folder, e.name);
    if (e.isDirectory()) return listTs(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}
