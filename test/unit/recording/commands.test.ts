/**
 * `record` and `calibrate` on the command line: bad input is one line on stderr naming the flag
 * (or file:line) and exit code 2; calibrate writes a profile the simulator takes as is.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../operator/src/cli.js';
import { runMain } from '../../support/capture.js';
import { loadProfile } from '../../../operator/src/recording/profile.js';
import { parsePrometheusUrl, parseTime, prometheusEndpoints } from '../../../operator/src/commands/record-run.js';
import { freePort } from '../../../operator/src/sandbox/prometheus-process.js';
import { FunctionSimulator } from '../../../operator/src/sim/simulator.js';
import { KNOWN_SIM, SCENARIO_COUNTS, SCENARIO_SCALING } from '../../integration/record-calibrate-scenario.js';
import { recordingText, simRecording } from './sim-recording.js';

const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => runMain(main, 'faas-autoscaler', args);

const dir = mkdtempSync(join(tmpdir(), 'fas-recording-cli-'));
const recordingFile = join(dir, 'rec.ndjson');
writeFileSync(
  recordingFile,
  recordingText(
    simRecording({
      counts: SCENARIO_COUNTS,
      scaling: SCENARIO_SCALING.map(([t, r]) => [t + 0.4, r] as const),
      sim: { ...KNOWN_SIM, arrivals: 'poisson' },
      seed: 3,
    }),
  ),
);
// The same recording with every request count zeroed: a function never invoked in the range.
const idle = join(dir, 'idle.ndjson');
writeFileSync(
  idle,
  readFileSync(recordingFile, 'utf8')
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : JSON.stringify({ ...JSON.parse(line), requests: 0, requestsByCode: {}, rps: 0 })))
    .join('\n'),
);
const broken = join(dir, 'broken.ndjson');
writeFileSync(broken, `${readFileSync(recordingFile, 'utf8').split('\n').slice(0, 3).join('\n')}\n{"t":"x"}\n`);

describe('parseTime', () => {
  const now = Date.UTC(2026, 0, 1, 12);
  it.each([
    // [text, ms since the epoch]
    ['now', now],
    ['-2h', now - 7_200_000],
    ['now-30m', now - 1_800_000],
    ['-1.5d', now - 129_600_000],
    ['2026-01-01T10:00:00Z', Date.UTC(2026, 0, 1, 10)],
    ['2026-01-01T10:00:00.250+02:00', Date.UTC(2026, 0, 1, 8, 0, 0, 250)],
    ['1767261600', 1_767_261_600_000],
  ])('%s', (text, want) => {
    expect(parseTime('--from', text, now)).toBe(want);
  });
  it.each(['yesterday', '2h', '2026-01-01', '+2h', ''])('rejects %j naming the flag', (text) => {
    expect(() => parseTime('--from', text, now)).toThrow(/^--from: ".*" is not a time; use RFC 3339/);
  });
});

it('takes basic auth out of a Prometheus URL', () => {
  expect(parsePrometheusUrl('--prom-a', 'http://u:p%40ss@prom:9090/prefix/')).toEqual({
    url: 'http://prom:9090/prefix',
    auth: { type: 'basic', username: 'u', password: 'p@ss' },
  });
  expect(parsePrometheusUrl('--prom-a', 'https://prom')).toEqual({ url: 'https://prom' });
  expect(() => parsePrometheusUrl('--prom-b', 'prom:9090')).toThrow(/^--prom-b: "prom:9090" must be an http:\/\/ or https:\/\/ URL/);
});

describe('record: Prometheus credentials', () => {
  const secret = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const base = { namespace: 'openfaas-fn', to: 'now', step: '30s', chunkSteps: '1000', out: 'x', timeout: '60s', progress: false };

  it("reads a bearer token or user:password from files; B takes A's when --prom-b is absent", () => {
    const token = secret('tok', 'abc\n');
    const basic = secret('basic', 'reader:pw\n');
    expect(prometheusEndpoints({ ...base, promA: 'http://a:9090', promABearerTokenFile: token })).toEqual({
      a: { url: 'http://a:9090', auth: { type: 'bearer', token: 'abc' } },
      b: { url: 'http://a:9090', auth: { type: 'bearer', token: 'abc' } },
    });
    expect(prometheusEndpoints({ ...base, promA: 'http://a:9090', promB: 'http://b:9090', promBBasicAuthFile: basic })).toEqual({
      a: { url: 'http://a:9090' },
      b: { url: 'http://b:9090', auth: { type: 'basic', username: 'reader', password: 'pw' } },
    });
  });

  it.each([
    [
      { promA: 'http://u:p@a:9090', promABearerTokenFile: 'tok' },
      /^--prom-a: the URL holds user:password and a credentials file is given too/,
    ],
    [
      { promA: 'http://a:9090', promABearerTokenFile: 'tok', promABasicAuthFile: 'basic' },
      /^--prom-a-bearer-token-file and --prom-a-basic-auth-file: give one, not both/,
    ],
    [{ promA: 'http://a:9090', promBBearerTokenFile: 'tok' }, /^--prom-b-bearer-token-file \/ --prom-b-basic-auth-file: give --prom-b too/],
    [
      { promA: 'http://a:9090', promABearerTokenFile: '/nonexistent/token' },
      /^--prom-a-bearer-token-file: cannot read \/nonexistent\/token/,
    ],
  ])('refuses %j', (flags, message) => {
    secret('tok', 'abc');
    secret('basic', 'u:p');
    const resolved = Object.fromEntries(
      Object.entries(flags).map(([k, v]) => [k, k.endsWith('File') && !v.startsWith('/') ? join(dir, v) : v]),
    );
    expect(() => prometheusEndpoints({ ...base, ...resolved })).toThrow(message);
  });

  it('sends the token read from the file on every range query', async () => {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const out = join(dir, 'auth.ndjson');
      const r = await run([
        'record',
        '--prom-a',
        url,
        '--prom-a-bearer-token-file',
        secret('tok2', 's3cret\n'),
        '--function',
        'f',
        '--from',
        '1767261600',
        '--to',
        '1767261660',
        '--out',
        out,
        '--no-progress',
      ]);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set(['Bearer s3cret']));
      // This Prometheus holds no series at all: no request count anywhere, so no recording is kept.
      expect(r.code).toBe(2);
      expect(existsSync(out)).toBe(false);
    } finally {
      server.close();
    }
  });
});

describe('bad input → one line, exit 2', () => {
  it.each([
    // [what, args, message on stderr]
    [
      'record without --prom-a',
      ['record', '--function', 'fn', '--from', '-1h', '--out', join(dir, 'x.ndjson')],
      /^faas-autoscaler: --prom-a: give the URL/,
    ],
    [
      'record without a function',
      ['record', '--prom-a', 'http://127.0.0.1:1', '--from', '-1h', '--out', join(dir, 'x.ndjson')],
      /^faas-autoscaler: --function: give at least one function/,
    ],
    [
      'record with a bad function name',
      ['record', '--prom-a', 'http://127.0.0.1:1', '--function', 'Fig_let', '--from', '-1h', '--out', join(dir, 'x.ndjson')],
      /^faas-autoscaler: --function: "Fig_let" is not a function/,
    ],
    [
      'record with a bad step',
      ['record', '--prom-a', 'http://127.0.0.1:1', '--function', 'fn', '--from', '-1h', '--step', 'often', '--out', join(dir, 'x.ndjson')],
      /^faas-autoscaler: --step: "often" is not a duration/,
    ],
    [
      'record with --to before --from',
      ['record', '--prom-a', 'http://127.0.0.1:1', '--function', 'fn', '--from', '-1h', '--to', '-2h', '--out', join(dir, 'x.ndjson')],
      /^faas-autoscaler: --to: .* is before --from/,
    ],
    [
      'record with too big chunks',
      [
        'record',
        '--prom-a',
        'http://127.0.0.1:1',
        '--function',
        'fn',
        '--from',
        '-1h',
        '--chunk-steps',
        '20000',
        '--out',
        join(dir, 'x.ndjson'),
      ],
      /^faas-autoscaler: --chunk-steps: must be an integer from 1 to 10999/,
    ],
    [
      'record --resume of a missing file',
      ['record', '--prom-a', 'http://127.0.0.1:1', '--resume', '--out', join(dir, 'absent.ndjson')],
      /^faas-autoscaler: --resume: cannot read .*absent\.ndjson: ENOENT/,
    ],
    [
      'calibrate a missing file',
      ['calibrate', '--recording', join(dir, 'absent.ndjson'), '--out', join(dir, 'p.json')],
      /^faas-autoscaler: --recording: cannot read .*absent\.ndjson: ENOENT/,
    ],
    [
      'calibrate a malformed recording names file:line',
      ['calibrate', '--recording', broken, '--out', join(dir, 'p.json')],
      /^faas-autoscaler: .*broken\.ndjson:4: field "t" must be an RFC 3339 time/,
    ],
    [
      'calibrate a function not recorded',
      ['calibrate', '--recording', recordingFile, '--function', 'figlet', '--out', join(dir, 'p.json')],
      /^faas-autoscaler: --function: figlet\.openfaas-fn is not in .*; it holds fn\.openfaas-fn/,
    ],
    [
      'calibrate a recording without a single request',
      ['calibrate', '--recording', idle, '--out', join(dir, 'p.json')],
      /^faas-autoscaler: --recording: .*idle\.ndjson has no request for fn\.openfaas-fn in its \d+ steps; nothing to calibrate from/,
    ],
    [
      'calibrate with a bad request',
      ['calibrate', '--recording', recordingFile, '--cpu-request', 'lots', '--out', join(dir, 'p.json')],
      /^faas-autoscaler: --cpu-request: invalid quantity "lots"/,
    ],
  ])('%s', async (_what, args, want) => {
    const { code, stderr } = await run(args as string[]);
    // (Node's one-time ExperimentalWarning for jest's VM modules may land in any test's stderr.)
    expect(
      stderr
        .trim()
        .split('\n')
        .filter((l) => !/^\((node:\d+|Use `node)/.test(l)),
    ).toHaveLength(1);
    expect(stderr.replace(/^\(.*\n/gm, '')).toMatch(want as RegExp);
    expect(code).toBe(2);
  });

  it('record against a Prometheus that is down: one line naming it, exit 2, no file', async () => {
    const out = join(dir, 'down.ndjson');
    const port = await freePort('127.0.0.1');
    const { code, stderr } = await run([
      'record',
      '--prom-a',
      `http://127.0.0.1:${port}`,
      '--function',
      'fn',
      '--from',
      '-10s',
      '--step',
      '5s',
      '--timeout',
      '2s',
      '--out',
      out,
    ]);
    expect(code).toBe(2);
    expect(stderr.replace(/^\(.*\n/gm, '').trim()).toBe(
      `faas-autoscaler: record: prometheus-a cannot be queried: prometheus-a: cannot reach http://127.0.0.1:${port}/api/v1/query_range (ECONNREFUSED); nothing was recorded`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('record refuses to replace an existing file without --resume or --force', async () => {
    const out = join(dir, 'existing.ndjson');
    writeFileSync(out, 'twelve lines of an earlier recording\n');
    const { code, stderr } = await run(['record', '--prom-a', 'http://127.0.0.1:9', '--function', 'fn', '--from', '-10s', '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`--out: ${out} exists; give --resume to continue it or --force to replace it`));
    expect(readFileSync(out, 'utf8')).toBe('twelve lines of an earlier recording\n');
  });
});

it('calibrate writes a profile the simulator takes as is, and prints the estimates with the fit', async () => {
  const profileFile = join(dir, 'profile.json');
  const { code, stdout } = await run([
    'calibrate',
    '--recording',
    recordingFile,
    '--out',
    profileFile,
    '--cpu-request',
    '250m',
    '--fit-window',
    '5s',
  ]);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^calibrated fn\.openfaas-fn from .*rec\.ndjson \(48 steps of 1 s/);
  expect(stdout).toMatch(/concurrency +2 per replica/);
  expect(stdout).toMatch(/P95 +median \|error\| \d+\.\d %/);
  const profile = await loadProfile(profileFile);
  expect(profile.function).toBe('fn.openfaas-fn');
  expect(profile.sim).toMatchObject({
    concurrencyPerReplica: 2,
    coldStartSeconds: 3,
    requests: { cpuCores: 0.25, memoryBytes: 256 * 1024 * 1024 },
  });
  const sim = new FunctionSimulator({
    fn: { id: 'x', row: 1, counts: [10, 10], profile: {} },
    binSeconds: 1,
    seed: 1,
    config: profile.sim,
  });
  expect(sim.serviceTime.kind).toBe('lognormal');
  const file = JSON.parse(readFileSync(profileFile, 'utf8')) as {
    provenance: { recording: { sha256: string; steps: number } };
    goodnessOfFit: { p95: { windows: number } };
  };
  expect(file.provenance.recording).toMatchObject({ steps: 48, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  expect(file.goodnessOfFit.p95.windows).toBeGreaterThan(3);
  // A profile with a bad field is refused naming the file and the field.
  writeFileSync(profileFile, JSON.stringify({ ...JSON.parse(readFileSync(profileFile, 'utf8')), sim: { concurrencyPerReplica: 0 } }));
  await expect(loadProfile(profileFile)).rejects.toThrow(
    /^--profile: .*profile\.json: sim\.concurrencyPerReplica: must be an integer >= 1, got 0/,
  );
});
