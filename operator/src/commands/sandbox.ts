/**
 * `faas-autoscaler sandbox`: the emulated cluster on 127.0.0.1 (operator/src/sandbox/sandbox.ts)
 * until SIGINT or SIGTERM, then a clean exit 0. The sandbox modules and the trace reader are
 * imported inside the action, so `--help` stays fast.
 */
import { Command, Option } from 'commander';
import { InputError } from '#kernel/input-error.js';
import { parseInteger, parsePositiveNumber } from '#kernel/units.js';

export interface SandboxFlags {
  dir: string;
  functions?: string;
  config?: string;
  trace?: string;
  timeScale?: string;
  seed?: string;
  ce?: boolean;
  gatewayUser: string;
  gatewayPassword?: string;
  withPrometheus: boolean;
  scrapeInterval: string;
  host: string;
  kubePort: string;
  gatewayPort: string;
  gatewayMetricsPort: string;
  cadvisorPort: string;
  prometheusPort: string;
  kubeApiserver?: string;
}

export function registerSandbox(program: Command): void {
  program
    .command('sandbox')
    .description(
      'run an emulated cluster on 127.0.0.1: Kubernetes API, OpenFaaS gateway with simulated functions, cAdvisor endpoint (and Prometheus)',
    )
    .requiredOption('--dir <dir>', 'folder for kubeconfig, prometheus.yml, gateway-basic-auth and sandbox.json')
    .option(
      '--functions <list>',
      'functions as name[=profile],...; profiles: default, exp:<mean>, fixed:<time>, lognormal:<median>:<sigma>, trace:<selector> (default: figlet=exp:100ms)',
    )
    .option('--config <file>', 'YAML/JSON file with functions and their simulator settings (see the README, "Try it locally")')
    .option('--trace <path>', 'trace for trace:<selector> profiles (Azure duration and memory profiles)')
    .option('--time-scale <k>', 'run service times, cold starts and time-outs k times faster (wall-clock metrics stay honest) (default: 1)')
    .option('--seed <n>', 'seed of the service-time draws (default: 1)')
    .option(
      '--ce',
      'OpenFaaS CE limits: scale requests clamped to 1..5, 0 refused, at most 15 functions; function Deployments clamped to 1..5 as faas-netes does',
    )
    .option(
      '--kube-apiserver <path>',
      'run etcd and this real kube-apiserver binary (bash scripts/fetch-kube-apiserver.sh prints its path) instead of the emulated API server: TLS, token auth, RBAC',
    )
    .addOption(new Option('--gateway-user <name>', 'gateway basic-auth user').default('admin'))
    .addOption(
      new Option('--gateway-password <password>', 'gateway basic-auth password (default: generated, printed)').env(
        'SANDBOX_GATEWAY_PASSWORD',
      ),
    )
    .option(
      '--with-prometheus',
      'start the real Prometheus (prometheus on PATH or /usr/bin/prometheus) with the generated configuration',
      false,
    )
    .option('--scrape-interval <seconds>', 'Prometheus scrape interval in the generated configuration', '1')
    .option('--host <address>', 'address every server binds', '127.0.0.1')
    .option('--kube-port <port>', 'Kubernetes API port (0: any free port)', '0')
    .option('--gateway-port <port>', 'gateway port (0: any free port)', '0')
    .option('--gateway-metrics-port <port>', "gateway metrics port, the real gateway's 8082 (0: any free port)", '0')
    .option('--cadvisor-port <port>', 'cAdvisor endpoint port (0: any free port)', '0')
    .option('--prometheus-port <port>', 'Prometheus port with --with-prometheus (0: any free port)', '0')
    .action(async (flags: SandboxFlags) => {
      const { loadSandboxConfigFile, parseFunctionsFlag, resolveFunctions } = await import('../sandbox/sandbox-config.js');
      const file = flags.config ? loadSandboxConfigFile(flags.config) : undefined;
      if (flags.functions && file) throw new InputError('--functions and --config: give one, not both');
      const tracePath = flags.trace ?? file?.trace;
      const trace = tracePath ? await (await import('#kernel/traces/index.js')).loadTrace({ trace: tracePath }) : undefined;
      const entries = file?.functions ?? parseFunctionsFlag(flags.functions ?? 'figlet=exp:100ms');
      const functions = resolveFunctions(entries, trace);
      const port = (flag: string, text: string): number => {
        const n = parseInteger(flag, text, 0);
        if (n > 65535) throw new InputError(`${flag}: ${n} is not a port (0..65535)`);
        return n;
      };
      const { startSandbox } = await import('../sandbox/sandbox.js');
      const sandbox = await startSandbox({
        dir: flags.dir,
        functions,
        host: flags.host,
        ports: {
          kube: port('--kube-port', flags.kubePort),
          gateway: port('--gateway-port', flags.gatewayPort),
          gatewayMetrics: port('--gateway-metrics-port', flags.gatewayMetricsPort),
          cadvisor: port('--cadvisor-port', flags.cadvisorPort),
          prometheus: port('--prometheus-port', flags.prometheusPort),
        },
        gatewayUser: flags.gatewayUser,
        gatewayPassword: flags.gatewayPassword,
        ce: flags.ce ?? file?.ce ?? false,
        timeScale: flags.timeScale !== undefined ? parsePositiveNumber('--time-scale', flags.timeScale) : (file?.timeScale ?? 1),
        seed: flags.seed !== undefined ? parseInteger('--seed', flags.seed, 0) : (file?.seed ?? 1),
        scrapeIntervalSeconds: parsePositiveNumber('--scrape-interval', flags.scrapeInterval),
        withPrometheus: flags.withPrometheus,
        kubeApiserver: flags.kubeApiserver,
      });
      process.stdout.write(banner(sandbox.info));
      await new Promise<void>((resolve) => {
        const onSignal = (): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve();
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      process.stdout.write('faas-autoscaler sandbox: stopping\n');
      await sandbox.stop();
    });
}

function banner(info: import('../sandbox/sandbox.js').SandboxInfo): string {
  const fns = info.functions.map(
    (f) =>
      `    ${f.name}: ${f.source}, mean ${round(f.serviceMeanMs)} ms, ${f.initialReplicas} replica(s), cold start ${f.coldStartSeconds}s, concurrency ${f.concurrencyPerReplica}`,
  );
  const prom = info.prometheusUrl
    ? `  Prometheus        ${info.prometheusUrl}   (A and B; config ${info.prometheusConfig})`
    : `  Prometheus        not started: prometheus --config.file=${info.prometheusConfig} (or use --with-prometheus)`;
  return [
    'faas-autoscaler sandbox: ready',
    `  Kubernetes API    ${info.kubeApiUrl}   export KUBECONFIG=${info.kubeconfig}${info.kubeApiserver ? `   (real kube-apiserver, ${info.kubeApiserver.version}; audit log ${info.kubeApiserver.auditLog})` : ' (emulated)'}`,
    `  OpenFaaS gateway  ${info.gatewayUrl}   user ${info.gatewayUser}, password ${info.gatewayPassword} (also in ${info.gatewayBasicAuthFile})`,
    `  gateway metrics   ${info.gatewayMetricsUrl}/metrics`,
    `  cAdvisor          ${info.cadvisorUrl}/metrics/cadvisor`,
    prom,
    `  functions (namespace ${info.functionNamespace}${info.ce ? ', OpenFaaS CE limits' : ''}${info.timeScale !== 1 ? `, time scale ${info.timeScale}` : ''}):`,
    ...fns,
    `  details in ${info.dir}/sandbox.json; stop with Ctrl-C`,
    '',
  ].join('\n');
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
