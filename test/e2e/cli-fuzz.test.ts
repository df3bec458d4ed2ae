/**
 * Bad input to the built CLIs, as a careless user or an attacker gives it: each case is one line
 * on stderr and exit 2 (or, where the input is legal, a normal run), never a stack trace, and
 * never a hang (every run is bounded).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FAAS_AUTOSCALER } from './harness.js';
import { REPO_ROOT } from '../support/tools.js';

const LOADGEN = join(REPO_ROOT, 'bin', 'faas-loadgen.js');
const dir = mkdtempSync(join(tmpdir(), 'cli-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const minutes = Array.from({ length: 10 }, (_, i) => i + 1);
const AZURE2019 = `HashOwner,HashApp,HashFunction,Trigger,${minutes.join(',')}\n`;
const hugeCount = () => file('huge.csv', `${AZURE2019}o,a,f,http,1,2,99999999999999999999999,4,5,6,7,8,9,10\n`);
const farTimestamp = () => file('far.csv', 'app,func,end_timestamp,duration\na1,f1,1e12,0.5\na1,f1,10.0,0.2\n');
const existing = () => file('existing.ndjson', 'an earlier recording\n');

interface Case {
  name: string;
  cli?: string;
  args: () => string[];
  env?: NodeJS.ProcessEnv;
  /** The one line expected on stderr (after the program name). */
  want: RegExp;
}

const cases: Case[] = [
  {
    name: 'a rate scale no bin can hold',
    args: () => ['evaluate', '--policies', 'hpa', '--rate-scale', '1e12'],
    want: /the busiest bin holds 7\.34e\+14 invocations/,
  },
  {
    name: 'a trace count beyond any recorded',
    args: () => ['evaluate', '--policies', 'hpa', '--trace', hugeCount()],
    want: /huge\.csv:2:\d+: expected a non-negative integer invocation count/,
  },
  {
    name: 'an interval of a nanosecond (used to hang)',
    args: () => ['evaluate', '--policies', 'hpa', '--interval', '1e-9'],
    want: /--interval: must be a number of seconds >= 1/,
  },
  {
    name: '--json where nothing can be written (checked before the run)',
    args: () => ['evaluate', '--policies', 'hpa', '--json', '/proc/x/y.json'],
    want: /--json: cannot write \/proc\/x\/y\.json/,
  },
  {
    name: '--report where nothing can be written',
    args: () => ['evaluate', '--policies', 'hpa', '--report', '/proc/x/r.html'],
    want: /--report: cannot write/,
  },
  { name: 'demo --out where nothing can be written', args: () => ['demo', '--out', '/proc/x/demo'], want: /cannot write \/proc\/x\/demo/ },
  {
    name: 'a param named __proto__',
    args: () => ['evaluate', '--policies', 'hpa', '--param', 'hpa.__proto__=1'],
    want: /policy "hpa": unknown param "__proto__"/,
  },
  {
    name: 'a param for a policy not evaluated',
    args: () => ['evaluate', '--policies', 'hpa', '--param', 'keda.threshold=3'],
    want: /--param: keda is not among --policies \(hpa\)/,
  },
  {
    name: 'an Azure 2021 timestamp of 30,000 years',
    cli: LOADGEN,
    args: () => ['stats', '--trace', farTimestamp()],
    want: /far\.csv: the last invocation is at .* at most 1,000,000 bins/,
  },
  {
    name: 'operator with a missing kubeconfig',
    args: () => ['operator', '--kubeconfig', join(dir, 'none.yaml'), '--listen', '127.0.0.1:0'],
    want: /--kubeconfig .*none\.yaml: not a usable kubeconfig: cannot read it \(ENOENT\)/,
  },
  {
    name: 'operator with an empty kubeconfig',
    args: () => ['operator', '--kubeconfig', file('empty.yaml', ''), '--listen', '127.0.0.1:0'],
    want: /not a usable kubeconfig: it is empty or not a kubeconfig document/,
  },
  {
    name: 'operator with a malformed kubeconfig',
    args: () => ['operator', '--kubeconfig', file('bad.yaml', 'users:\n- token: s3cr3t\n  bad: [\n'), '--listen', '127.0.0.1:0'],
    want: /not a usable kubeconfig: .* at line \d+, column \d+$/,
  },
  {
    name: 'operator outside a cluster without a kubeconfig (used to retry forever)',
    args: () => ['operator', '--listen', '127.0.0.1:0'],
    env: { KUBERNETES_SERVICE_HOST: '', KUBERNETES_SERVICE_PORT: '' },
    want: /not running in a Kubernetes pod/,
  },
  {
    name: 'a leader retry period as long as its renew deadline',
    args: () => ['operator', '--renew-deadline-seconds', '4', '--retry-period-seconds', '4'],
    want: /--retry-period-seconds \(4\) must be less than --renew-deadline-seconds \(4\)/,
  },
  {
    name: 'record over an existing file',
    args: () => ['record', '--prom-a', 'http://127.0.0.1:9', '--function', 'fn', '--from', '-10s', '--out', existing()],
    want: /--out: .*existing\.ndjson exists; give --resume to continue it or --force to replace it/,
  },
  {
    name: 'record against a Prometheus that is not there',
    args: () => [
      'record',
      '--prom-a',
      'http://127.0.0.1:9',
      '--function',
      'fn',
      '--from',
      '-10s',
      '--timeout',
      '2s',
      '--out',
      join(dir, 'r.ndjson'),
    ],
    want: /record: prometheus-a cannot be queried: .*nothing was recorded/,
  },
  {
    name: 'a password in a URL that is refused',
    args: () => ['operator', '--prometheus-a-url', 'ftp://admin:s3cr3t@prom'],
    want: /--prometheus-a-url: "ftp:\/\/\*\*\*@prom" must be an http:\/\/ or https:\/\/ URL/,
  },
];

describe('bad input: one line, exit 2, no stack trace, no hang', () => {
  it.each(cases)(
    '$name',
    ({ cli, args, env, want }) => {
      const run = spawnSync(process.execPath, [cli ?? FAAS_AUTOSCALER, ...args()], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, ...env },
      });
      const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
      expect({ status: run.status, signal: run.signal, lines: lines.length }).toEqual({ status: 2, signal: null, lines: 1 });
      expect(lines[0]).toMatch(/^faas-(autoscaler|loadgen): /);
      expect(lines[0]).toMatch(want);
      expect(run.stderr).not.toContain('s3cr3t');
    },
    90_000,
  );

  it('a KEDA threshold of 1e-320 is legal input: the run ends, with holds where KEDA asks for infinitely many replicas', () => {
    const run = spawnSync(process.execPath, [FAAS_AUTOSCALER, 'evaluate', '--policies', 'keda', '--param', 'keda.threshold=1e-320'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect({ status: run.status, stack: /\n\s+at /.test(run.stderr) }).toEqual({ status: 0, stack: false });
    expect(run.stdout).toMatch(/^keda\s/m);
  }, 150_000);
});
