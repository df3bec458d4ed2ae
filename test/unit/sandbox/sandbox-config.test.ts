/**
 * Function definitions for the sandbox: `--functions` shorthands, config files, and how they
 * resolve into the simulator's config and service-time model (with named errors).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import type { Trace } from '#kernel/traces/types.js';
import { DEFAULT_SIM_CONFIG } from '../../../operator/src/sim/config.js';
import { DEFAULT_MISSING_PROFILE, fitLognormal } from '../../../operator/src/sim/service-time.js';
import { loadSandboxConfigFile, parseFunctionsFlag, resolveFunctions } from '../../../operator/src/sandbox/sandbox-config.js';
import { functionDeployment } from '../../../operator/src/sandbox/sandbox.js';
import { renderPrometheusConfig } from '../../../operator/src/sandbox/prometheus-config.js';
import { parse } from 'yaml';

const durations = {
  averageMs: 33,
  count: 100,
  minimumMs: 6,
  maximumMs: 6000,
  percentilesMs: { 0: 7, 1: 8, 25: 10, 50: 11, 75: 20, 99: 308, 100: 6078 },
};
const TRACE: Trace = {
  format: 'azure2019',
  source: 'test',
  binSeconds: 60,
  startOffsetSeconds: 0,
  functions: [
    {
      id: '7017de4f00aa',
      row: 1,
      rank: 1,
      counts: [1, 2],
      profile: { durations, memory: { averageAllocatedMb: 140, percentilesMb: {}, sampleCount: 1 } },
    },
  ],
};

describe('--functions', () => {
  it.each([
    // name only: the simulator's default service time (no profile → the default lognormal)
    { flag: 'figlet', want: { kind: 'lognormal', meanMs: DEFAULT_MISSING_PROFILE.meanMs } },
    // exponential (M/M/c), mean in any duration unit
    { flag: 'figlet=exp:100ms', want: { kind: 'exponential', meanMs: 100 } },
    // fixed
    { flag: 'figlet=fixed:0.05', want: { kind: 'deterministic', meanMs: 50 } },
    // lognormal by median and sigma: mean = median × e^(σ²/2)
    { flag: 'figlet=lognormal:80ms:0.5', want: { kind: 'lognormal', meanMs: 80 * Math.exp(0.125) } },
    // a trace function's Azure profile: the simulator's own fit
    { flag: 'figlet=trace:7017de4f', want: { kind: 'lognormal', meanMs: fitLognormal(durations, 1).meanMs } },
  ])('$flag → $want.kind, mean $want.meanMs ms', ({ flag, want }) => {
    const [fn] = resolveFunctions(parseFunctionsFlag(flag), TRACE);
    expect({ kind: fn.serviceTime.kind, meanMs: fn.serviceTime.meanMs }).toEqual({
      kind: want.kind,
      meanMs: expect.closeTo(want.meanMs, 9),
    });
    expect(fn.config.coldStartSeconds).toBe(DEFAULT_SIM_CONFIG.coldStartSeconds);
  });

  it('takes the memory of a trace function as the idle working set', () => {
    const [fn] = resolveFunctions(parseFunctionsFlag('figlet=trace:7017de4f'), TRACE);
    expect(fn.config.memoryBaseMb).toBe(140);
  });

  it.each([
    // upper case is not a DNS label
    { flag: 'Figlet', want: /not a valid function name/ },
    // empty list
    { flag: ' , ', want: /at least one function/ },
    // unknown profile kind
    { flag: 'a=weibull:3', want: /function a: profile: unknown profile "weibull:3"/ },
    // a bad duration names the function
    { flag: 'a=exp:fast', want: /function a: profile: "fast" is not a duration/ },
    // lognormal needs both numbers
    { flag: 'a=lognormal:80ms', want: /lognormal:<median>:<sigma>/ },
    // trace profiles need a trace
    { flag: 'a=trace:rank:1', want: /needs --trace/, trace: undefined },
    // the same name twice
    { flag: 'a,a', want: /"a" is defined twice/ },
  ])('$flag → InputError $want', ({ flag, want, ...rest }) => {
    const trace = 'trace' in rest ? undefined : TRACE;
    let err: unknown;
    try {
      resolveFunctions(parseFunctionsFlag(flag), trace);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(want);
  });
});

describe('config file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (text: string): string => {
    const path = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(path, text);
    return path;
  };

  it('reads functions with simulator settings, labels and image', () => {
    const file = loadSandboxConfigFile(
      write(`timeScale: 10
seed: 4
ce: true
functions:
  - name: figlet
    profile: exp:20ms
    concurrencyPerReplica: 4
    coldStartSeconds: 1.5
    initialReplicas: 2
    image: ghcr.io/openfaas/figlet:latest
    labels: {com.openfaas.scale.min: "2"}
  - name: env
    serviceTime: {kind: deterministic, ms: 5}
`),
    );
    expect({ timeScale: file.timeScale, seed: file.seed, ce: file.ce }).toEqual({ timeScale: 10, seed: 4, ce: true });
    const [figlet, env] = resolveFunctions(file.functions, undefined);
    expect(figlet).toMatchObject({ name: 'figlet', image: 'ghcr.io/openfaas/figlet:latest', labels: { 'com.openfaas.scale.min': '2' } });
    expect(figlet.config).toMatchObject({ concurrencyPerReplica: 4, coldStartSeconds: 1.5, initialReplicas: 2 });
    expect(env.serviceTime).toMatchObject({ kind: 'deterministic', meanMs: 5 });
  });

  it.each([
    // a key the sandbox does not know
    { text: 'functions: [{name: a, replicas: 3}]', want: /unknown key "replicas" in functions\[0\]/ },
    // top-level typo
    { text: 'function: [{name: a}]', want: /unknown key "function"/ },
    // no functions
    { text: 'functions: []', want: /"functions" must be a non-empty list/ },
    // wrong type
    { text: 'timeScale: fast\nfunctions: [{name: a}]', want: /timeScale must be a number/ },
    // a simulator value out of range, named with the function and field (from resolveSimConfig)
    { text: 'functions: [{name: a, coldStartSeconds: -1}]', want: /function a: sim.coldStartSeconds: must be a number >= 0/ },
    // profile and serviceTime together
    {
      text: 'functions: [{name: a, profile: exp:1ms, serviceTime: {kind: exponential, meanMs: 1}}]',
      want: /give profile or serviceTime, not both/,
    },
  ])('$text → InputError $want', ({ text, want }) => {
    expect(() => resolveFunctions(loadSandboxConfigFile(write(text)).functions, undefined)).toThrow(want);
  });
});

describe('what the sandbox writes', () => {
  it('gives each function a faas-netes Deployment: label, selector, container named like it, requests', () => {
    const [fn] = resolveFunctions(parseFunctionsFlag('figlet=exp:10ms'), undefined);
    const d = functionDeployment(fn) as unknown as {
      metadata: { namespace: string; labels: Record<string, string> };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      spec: Record<string, any>;
    };
    expect(d.metadata).toMatchObject({ namespace: 'openfaas-fn', labels: { faas_function: 'figlet' } });
    expect(d.spec.selector).toEqual({ matchLabels: { faas_function: 'figlet' } });
    expect(d.spec.template.spec.containers[0]).toMatchObject({ name: 'figlet', resources: { requests: { cpu: '150m', memory: '256Mi' } } });
    expect(d.spec.replicas).toBe(1);
  });

  it.each([
    // whole seconds
    { seconds: 1, want: '1s' },
    // below a second
    { seconds: 0.5, want: '500ms' },
    // not a whole number of seconds
    { seconds: 2.5, want: '2500ms' },
  ])('a Prometheus config with both roles, scraped every $want', ({ seconds, want }) => {
    const config = parse(
      renderPrometheusConfig({
        gateway: '127.0.0.1:1',
        cadvisor: '127.0.0.1:2',
        kubeStateMetrics: '127.0.0.1:3',
        scrapeIntervalSeconds: seconds,
      }),
    ) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(config.global).toEqual({ scrape_interval: want, scrape_timeout: want, evaluation_interval: want });
    expect(
      config.scrape_configs.map(
        (j: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }) =>
          `${j.job_name} ${j.metrics_path} ${j.static_configs[0].targets[0]}`,
      ),
    ).toEqual([
      'openfaas-gateway /metrics 127.0.0.1:1',
      'kubernetes-cadvisor /metrics/cadvisor 127.0.0.1:2',
      'kube-state-metrics /metrics 127.0.0.1:3',
    ]);
  });
});
