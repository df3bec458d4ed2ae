/** `faas-autoscaler operator` flags → configuration; every bad value is an InputError naming the flag. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { InputError } from '#kernel/input-error.js';
import { operatorConfigFromFlags, registerOperator, type OperatorFlags } from '../../../operator/src/commands/operator.js';

const dir = mkdtempSync(join(tmpdir(), 'fa-flags-'));
const secret = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The flags as commander parses them (defaults included) from an argv. */
function parse(argv: string[], env: Record<string, string> = {}): OperatorFlags {
  const saved = { ...process.env };
  // The flags' environment fallbacks: start from none of them set (a developer may have KUBECONFIG).
  for (const k of [
    'KUBECONFIG',
    'KUBECONFIG_SSH',
    'POD_NAME',
    'POD_NAMESPACE',
    'LOG_LEVEL',
    'WATCH_NAMESPACES',
    'OPENFAAS_GATEWAY_URL',
    'PROMETHEUS_A_URL',
    'PROMETHEUS_B_URL',
    'LISTEN_ADDRESS',
    'NO_LEADER_ELECT',
  ])
    delete process.env[k];
  Object.assign(process.env, env);
  try {
    let flags: OperatorFlags | undefined;
    const program = new Command().exitOverride();
    registerOperator(program);
    const cmd = program.commands.find((c) => c.name() === 'operator')!;
    cmd.action((f: OperatorFlags) => {
      flags = f;
    });
    program.parse(['node', 'x', 'operator', ...argv]);
    return flags!;
  } finally {
    process.env = saved;
  }
}

describe('operator flags', () => {
  it('defaults: in-cluster, Prometheus B = A, leader election on, all namespaces', () => {
    const cfg = operatorConfigFromFlags(parse([]));
    expect({
      kube: cfg.kubeconfig.mode,
      a: cfg.prometheusA.url,
      b: cfg.prometheusB.url,
      le: cfg.leaderElection.enabled,
      ns: cfg.namespaces,
      listen: cfg.listen,
    }).toEqual({
      kube: 'in-cluster',
      a: 'http://prometheus.openfaas:9090',
      b: 'http://prometheus.openfaas:9090',
      le: true,
      ns: [],
      listen: { host: '0.0.0.0', port: 8080 },
    });
  });

  it('reads credentials from files and settings from the environment', () => {
    const cfg = operatorConfigFromFlags(
      parse(
        [
          '--prometheus-a-basic-auth-file',
          secret('pa', 'reader:pw\n'),
          '--prometheus-b-url',
          'http://b:9090',
          '--prometheus-b-bearer-token-file',
          secret('pb', 'tok\n'),
          '--gateway-basic-auth-file',
          secret('gw', 's3cret\n'),
          '--no-leader-elect',
        ],
        { OPENFAAS_GATEWAY_URL: 'http://gateway.openfaas:8080', WATCH_NAMESPACES: 'a, b', LOG_LEVEL: 'debug' },
      ),
    );
    expect({
      a: cfg.prometheusA.auth,
      b: cfg.prometheusB.auth,
      gw: cfg.gateway,
      ns: cfg.namespaces,
      level: cfg.logLevel,
      le: cfg.leaderElection.enabled,
    }).toEqual({
      a: { type: 'basic', username: 'reader', password: 'pw' },
      b: { type: 'bearer', token: 'tok' },
      gw: { url: 'http://gateway.openfaas:8080', username: 'admin', password: 's3cret' },
      ns: ['a', 'b'],
      level: 'debug',
      le: false,
    });
  });

  it('takes user:password@ in a URL as basic auth and removes it from the URL', () => {
    const cfg = operatorConfigFromFlags(
      parse(['--prometheus-a-url', 'http://reader:p%40ss@prom:9090/', '--gateway-url', 'http://admin:s3cr3t@gateway:8080']),
    );
    expect({ a: cfg.prometheusA, b: cfg.prometheusB, gw: cfg.gateway }).toEqual({
      a: { url: 'http://prom:9090', auth: { type: 'basic', username: 'reader', password: 'p@ss' } },
      b: { url: 'http://prom:9090', auth: { type: 'basic', username: 'reader', password: 'p@ss' } },
      gw: { url: 'http://gateway:8080', username: 'admin', password: 's3cr3t' },
    });
  });

  it('parses --kubeconfig-ssh user@host:port:path', () => {
    const cfg = operatorConfigFromFlags(
      parse(['--kubeconfig-ssh', 'admin@10.0.0.10:2222:/etc/kubernetes/admin.conf', '--ssh-identity', '/k', '--ssh-known-hosts', '/kh']),
    );
    expect(cfg.kubeconfig).toEqual({
      mode: 'ssh',
      target: { username: 'admin', host: '10.0.0.10', port: 2222, path: '/etc/kubernetes/admin.conf' },
      identityFile: '/k',
      knownHostsFile: '/kh',
      timeoutMs: 10_000,
    });
  });

  // Each row: bad flags → the start of the one-line message.
  it.each([
    { argv: ['--log-level', 'loud'], msg: '--log-level: must be one of' },
    { argv: ['--prometheus-a-url', 'prometheus:9090'], msg: '--prometheus-a-url: "prometheus:9090" must be an http:// or https:// URL' },
    // A password in a URL never reaches a message.
    {
      argv: ['--prometheus-a-url', 'ftp://admin:s3cr3t@prom'],
      msg: '--prometheus-a-url: "ftp://***@prom" must be an http:// or https:// URL',
    },
    { argv: ['--gateway-url', 'gw://admin:s3cr3t@gw'], msg: '--gateway-url: "gw://***@gw" is not an http(s) URL' },
    { argv: ['--kubeconfig', '/a', '--kubeconfig-ssh', 'u@h:/p'], msg: '--kubeconfig and --kubeconfig-ssh: give one, not both' },
    { argv: ['--kubeconfig-ssh', 'master:/etc/k.conf'], msg: '--kubeconfig-ssh: "master:/etc/k.conf" is not user@host[:port]:path' },
    { argv: ['--listen', '8080'], msg: '--listen: "8080" is not host:port' },
    {
      argv: ['--lease-duration-seconds', '5', '--renew-deadline-seconds', '10'],
      msg: '--renew-deadline-seconds (10) must be less than --lease-duration-seconds (5)',
    },
    {
      argv: ['--renew-deadline-seconds', '4', '--retry-period-seconds', '4'],
      msg: '--retry-period-seconds (4) must be less than --renew-deadline-seconds (4)',
    },
    { argv: ['--prometheus-timeout-seconds', '0'], msg: '--prometheus-timeout-seconds: must be a number > 0, got "0"' },
    {
      argv: ['--gateway-url', 'http://gw', '--gateway-basic-auth-file', join(dir, 'missing')],
      msg: '--gateway-basic-auth-file: cannot read',
    },
  ])('$argv → $msg', ({ argv, msg }) => {
    let err: unknown;
    try {
      operatorConfigFromFlags(parse(argv));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message.startsWith(msg)).toBe(true);
  });
});

describe('the last-resort guard', () => {
  it('logs and counts what escaped everything, and returns (the process carries on)', async () => {
    const { lastResortGuard } = await import('../../../operator/src/controller/run-operator.js');
    const { OperatorMetrics } = await import('../../../operator/src/controller/operator-metrics.js');
    const { pino } = await import('pino');
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void lines.push(line) });
    const metrics = new OperatorMetrics();
    const guard = lastResortGuard(logger, metrics);
    guard(new RangeError('Invalid typed array length'));
    guard('a string thrown');
    const counted = await metrics.registry.getSingleMetric('faas_autoscaler_reconcile_errors_total')!.get();
    expect(counted.values.map((v) => [v.labels.scope, v.value])).toEqual([['process', 2]]);
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'unexpected error; the operator carries on',
      'unexpected error; the operator carries on',
    ]);
    expect(lines[0]).toContain('RangeError: Invalid typed array length');
  });
});

describe('the shutdown deadline', () => {
  it('settlesWithin: true when the work ends in time (even by failing), false when the deadline passes first', async () => {
    const { settlesWithin } = await import('../../../operator/src/controller/run-operator.js');
    const never = new Promise<void>(() => undefined);
    expect(await settlesWithin(never, 50)).toBe(false);
    expect(await settlesWithin(Promise.resolve(), 5_000)).toBe(true);
    expect(await settlesWithin(Promise.reject(new Error('x')), 5_000)).toBe(true);
  });

  it("operator limits: 500 replicas and ×10 per decision by default, functions in the resource's own namespace, shipped models only", () => {
    expect(operatorConfigFromFlags(parse([]))).toMatchObject({
      limits: { maxReplicas: 500, maxScaleUpFactor: 10, functionNamespaces: [] },
      modelDirs: [],
    });
    expect(
      operatorConfigFromFlags(
        parse([
          '--max-replicas',
          '40',
          '--max-scale-up-factor',
          '2.5',
          '--function-namespaces',
          'openfaas-fn, team-b',
          '--model-dirs',
          '/models, /srv/m',
        ]),
      ),
    ).toMatchObject({
      limits: { maxReplicas: 40, maxScaleUpFactor: 2.5, functionNamespaces: ['openfaas-fn', 'team-b'] },
      modelDirs: ['/models', '/srv/m'],
    });
    expect(() => operatorConfigFromFlags(parse(['--max-scale-up-factor', '1']))).toThrow(
      '--max-scale-up-factor: must be a number > 1, got "1"',
    );
    expect(() => operatorConfigFromFlags(parse(['--max-replicas', '0']))).toThrow('--max-replicas: must be an integer >= 1, got "0"');
  });

  it('is 25 s by default, and a flag', () => {
    expect(operatorConfigFromFlags(parse([])).shutdownTimeoutMs).toBe(25_000);
    expect(operatorConfigFromFlags(parse(['--shutdown-timeout-seconds', '8'])).shutdownTimeoutMs).toBe(8_000);
  });
});
