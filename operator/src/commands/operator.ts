/**
 * `faas-autoscaler operator`: runs the reconcile loop against a cluster. Every flag also reads an
 * environment variable (shown in --help), so the Helm chart can set them either way. The
 * Kubernetes client, ssh2 and pino are imported inside the action, so `--help` stays fast.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { InputError } from '#kernel/input-error.js';
import { parseChoice, parseInteger, parsePositiveNumber } from '#kernel/units.js';
import { parseSshTarget } from '../controller/ssh-target.js';
import { basicAuthFile, prometheusEndpoint, redactUserinfo } from './secrets.js';
import type { OperatorConfig, KubeconfigSource } from '../controller/run-operator.js';

export interface OperatorFlags {
  prometheusAUrl: string;
  prometheusABearerTokenFile?: string;
  prometheusABasicAuthFile?: string;
  prometheusBUrl?: string;
  prometheusBBearerTokenFile?: string;
  prometheusBBasicAuthFile?: string;
  prometheusTimeoutSeconds: string;
  gatewayUrl?: string;
  gatewayBasicAuthFile?: string;
  gatewayUser: string;
  namespaces: string;
  logLevel: string;
  kubeconfig?: string;
  kubeconfigSsh?: string;
  sshIdentity?: string;
  sshKnownHosts?: string;
  sshTimeoutSeconds: string;
  listen: string;
  leaderElect: boolean;
  leaseNamespace: string;
  leaseName: string;
  identity?: string;
  leaseDurationSeconds: string;
  shards: string;
  renewDeadlineSeconds: string;
  retryPeriodSeconds: string;
  apiTimeoutSeconds: string;
  shutdownTimeoutSeconds: string;
  openfaasEdition: string;
  maxReplicas: string;
  maxScaleUpFactor: string;
  functionNamespaces?: string;
  modelDirs?: string;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export function registerOperator(program: Command): void {
  const env = (o: Option, name: string): Option => o.env(name);
  program
    .command('operator')
    .description('run the operator: scale every FunctionAutoscaler at its interval (in-cluster by default)')
    .addOption(
      env(
        new Option('--prometheus-a-url <url>', 'Prometheus with the OpenFaaS gateway metrics (A)').default(
          'http://prometheus.openfaas:9090',
        ),
        'PROMETHEUS_A_URL',
      ),
    )
    .addOption(
      env(
        new Option('--prometheus-a-bearer-token-file <file>', 'bearer token for Prometheus A, read from a file'),
        'PROMETHEUS_A_BEARER_TOKEN_FILE',
      ),
    )
    .addOption(
      env(
        new Option('--prometheus-a-basic-auth-file <file>', 'basic auth for Prometheus A: a file holding user:password'),
        'PROMETHEUS_A_BASIC_AUTH_FILE',
      ),
    )
    .addOption(
      env(new Option('--prometheus-b-url <url>', 'Prometheus with the cAdvisor metrics (B); default: the same as A'), 'PROMETHEUS_B_URL'),
    )
    .addOption(
      env(
        new Option('--prometheus-b-bearer-token-file <file>', 'bearer token for Prometheus B, read from a file'),
        'PROMETHEUS_B_BEARER_TOKEN_FILE',
      ),
    )
    .addOption(
      env(
        new Option('--prometheus-b-basic-auth-file <file>', 'basic auth for Prometheus B: a file holding user:password'),
        'PROMETHEUS_B_BASIC_AUTH_FILE',
      ),
    )
    .addOption(
      env(new Option('--prometheus-timeout-seconds <s>', 'time-out of one PromQL query').default('10'), 'PROMETHEUS_TIMEOUT_SECONDS'),
    )
    .addOption(
      env(
        new Option('--gateway-url <url>', 'OpenFaaS gateway, for FunctionAutoscalers with spec.actuator: gateway'),
        'OPENFAAS_GATEWAY_URL',
      ),
    )
    .addOption(
      env(
        new Option(
          '--gateway-basic-auth-file <file>',
          'gateway basic auth: a file holding user:password, or only the password (user from --gateway-user)',
        ),
        'OPENFAAS_GATEWAY_BASIC_AUTH_FILE',
      ),
    )
    .addOption(
      env(
        new Option('--gateway-user <name>', 'gateway user when the basic-auth file holds only the password').default('admin'),
        'OPENFAAS_GATEWAY_USER',
      ),
    )
    .addOption(
      env(
        new Option(
          '--openfaas-edition <edition>',
          "the OpenFaaS edition behind the functions; ce keeps every decision within 1..5 replicas, as CE's faas-netes rewrites any other count",
        )
          .choices(['ce', 'pro'])
          .default('pro'),
        'OPENFAAS_EDITION',
      ),
    )
    .addOption(
      env(
        new Option('--max-replicas <n>', 'the most replicas the operator gives any function, whatever a FunctionAutoscaler asks').default(
          '500',
        ),
        'MAX_REPLICAS',
      ),
    )
    .addOption(
      env(
        new Option('--max-scale-up-factor <x>', "one decision multiplies a function's replicas by at most x (from at least 1)").default(
          '10',
        ),
        'MAX_SCALE_UP_FACTOR',
      ),
    )
    .addOption(
      env(
        new Option(
          '--function-namespaces <list>',
          'comma-separated namespaces whose functions any FunctionAutoscaler may scale, besides its own namespace (* for any; default: only its own)',
        ),
        'FUNCTION_NAMESPACES',
      ),
    )
    .addOption(
      env(
        new Option(
          '--model-dirs <dirs>',
          'comma-separated directories spec.policy.model may point into, besides the shipped models (default: none)',
        ),
        'MODEL_DIRS',
      ),
    )
    .addOption(
      env(
        new Option('--namespaces <list>', 'comma-separated namespaces whose FunctionAutoscalers to manage; empty: all').default(''),
        'WATCH_NAMESPACES',
      ),
    )
    .addOption(env(new Option('--log-level <level>', `log level (pino): ${LOG_LEVELS.join(' | ')}`).default('info'), 'LOG_LEVEL'))
    .addOption(env(new Option('--kubeconfig <file>', 'kubeconfig file; default: in-cluster service account'), 'KUBECONFIG'))
    .addOption(
      env(
        new Option(
          '--kubeconfig-ssh <user@host[:port]:path>',
          'fetch the kubeconfig from a master node over SFTP (key auth, host key checked against --ssh-known-hosts)',
        ),
        'KUBECONFIG_SSH',
      ),
    )
    .addOption(
      env(
        new Option('--ssh-identity <file>', 'private key for --kubeconfig-ssh; default ~/.ssh/id_ed25519, else ~/.ssh/id_rsa'),
        'SSH_IDENTITY',
      ),
    )
    .addOption(
      env(
        new Option(
          '--ssh-known-hosts <file>',
          'known_hosts for --kubeconfig-ssh; unknown or changed host keys are refused; default ~/.ssh/known_hosts',
        ),
        'SSH_KNOWN_HOSTS',
      ),
    )
    .addOption(env(new Option('--ssh-timeout-seconds <s>', 'time-out of the SSH connection').default('10'), 'SSH_TIMEOUT_SECONDS'))
    .addOption(
      env(new Option('--listen <host:port>', 'address of /healthz, /readyz and /metrics').default('0.0.0.0:8080'), 'LISTEN_ADDRESS'),
    )
    .addOption(env(new Option('--no-leader-elect', 'do not use a Lease (only safe with a single replica)'), 'NO_LEADER_ELECT'))
    .addOption(env(new Option('--lease-namespace <ns>', 'namespace of the leader-election Lease').default('default'), 'POD_NAMESPACE'))
    .addOption(env(new Option('--lease-name <name>', 'name of the leader-election Lease').default('faas-autoscaler-leader'), 'LEASE_NAME'))
    .addOption(env(new Option('--identity <name>', 'this replica in the Lease and in Events; default hostname-pid'), 'POD_NAME'))
    .addOption(
      env(
        new Option('--lease-duration-seconds <s>', 'followers take over after the Lease is not renewed for this long').default('15'),
        'LEASE_DURATION_SECONDS',
      ),
    )
    .addOption(
      env(
        new Option('--renew-deadline-seconds <s>', 'the leader steps down when it could not renew for this long').default('10'),
        'RENEW_DEADLINE_SECONDS',
      ),
    )
    .addOption(
      env(new Option('--retry-period-seconds <s>', 'how often to renew or try to acquire the Lease').default('2'), 'RETRY_PERIOD_SECONDS'),
    )
    .addOption(
      env(
        new Option(
          '--shards <n>',
          'split the FunctionAutoscalers into n shards by a stable hash, each led through its own Lease (<lease-name>-shard-<i>), shared evenly by the replicas running; 1: one leader for all',
        ).default('1'),
        'SHARDS',
      ),
    )
    .addOption(
      env(
        new Option('--api-timeout-seconds <s>', 'time-out of one Kubernetes API or gateway request').default('10'),
        'API_TIMEOUT_SECONDS',
      ),
    )
    .addOption(
      env(
        new Option(
          '--shutdown-timeout-seconds <s>',
          "on SIGTERM, how long to wait for the tick in flight and the Lease release before exiting anyway (below the pod's terminationGracePeriodSeconds)",
        ).default('25'),
        'SHUTDOWN_TIMEOUT_SECONDS',
      ),
    )
    .action(async (flags: OperatorFlags) => {
      const cfg = operatorConfigFromFlags(flags);
      const { lastResortGuard, startOperator } = await import('../controller/run-operator.js');
      const op = await startOperator(cfg);
      const guard = lastResortGuard(op.logger, op.controller.operatorMetrics);
      process.on('unhandledRejection', guard);
      process.on('uncaughtException', guard);
      await new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals): void => {
          op.logger.info({ signal: sig }, 'signal received');
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          void op.stop().then((clean) => {
            // Past the deadline something still hangs (a request, a tick): exit all the same.
            if (!clean) process.exit(1);
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}

/** The gateway's URL and credentials: from the file, or from the URL's user:password@ (removed from it). */
function gatewayEndpoint(flags: OperatorFlags): { url: string; username?: string; password?: string } {
  const parsed = new URL(url('--gateway-url', flags.gatewayUrl!));
  const inUrl = parsed.username
    ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) }
    : undefined;
  parsed.username = '';
  parsed.password = '';
  const base = parsed.toString().replace(/\/+$/, '');
  if (flags.gatewayBasicAuthFile) {
    if (inUrl) throw new InputError('--gateway-url: the URL holds user:password and --gateway-basic-auth-file is given too; give one');
    return { url: base, ...basicAuthFile('--gateway-basic-auth-file', flags.gatewayBasicAuthFile, flags.gatewayUser) };
  }
  return { url: base, ...(inUrl ?? {}) };
}

function url(flag: string, text: string): string {
  try {
    const u = new URL(text);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new InputError(`${flag}: ${JSON.stringify(redactUserinfo(text))} is not an http(s) URL`);
  }
  return text;
}

function defaultIdentityFile(): string {
  const ed = join(homedir(), '.ssh', 'id_ed25519');
  try {
    readFileSync(ed);
    return ed;
  } catch {
    return join(homedir(), '.ssh', 'id_rsa');
  }
}

/** Flags → configuration, with every bad value an InputError naming the flag. */
export function operatorConfigFromFlags(flags: OperatorFlags): OperatorConfig {
  parseChoice('--log-level', flags.logLevel, LOG_LEVELS);
  if (flags.kubeconfig && flags.kubeconfigSsh) throw new InputError('--kubeconfig and --kubeconfig-ssh: give one, not both');
  let kubeconfig: KubeconfigSource = { mode: 'in-cluster' };
  if (flags.kubeconfig) kubeconfig = { mode: 'file', path: flags.kubeconfig };
  if (flags.kubeconfigSsh) {
    const target = parseSshTarget(flags.kubeconfigSsh);
    kubeconfig = {
      mode: 'ssh',
      target,
      identityFile: flags.sshIdentity ?? defaultIdentityFile(),
      knownHostsFile: flags.sshKnownHosts ?? join(homedir(), '.ssh', 'known_hosts'),
      timeoutMs: parsePositiveNumber('--ssh-timeout-seconds', flags.sshTimeoutSeconds) * 1000,
    };
  }
  const listen = /^(.*):(\d+)$/.exec(flags.listen);
  if (!listen || Number(listen[2]) > 65535)
    throw new InputError(`--listen: ${JSON.stringify(flags.listen)} is not host:port (e.g. 0.0.0.0:8080)`);
  const leaseDurationSeconds = parsePositiveNumber('--lease-duration-seconds', flags.leaseDurationSeconds);
  const renewDeadlineSeconds = parsePositiveNumber('--renew-deadline-seconds', flags.renewDeadlineSeconds);
  if (renewDeadlineSeconds >= leaseDurationSeconds) {
    throw new InputError(
      `--renew-deadline-seconds (${renewDeadlineSeconds}) must be less than --lease-duration-seconds (${leaseDurationSeconds})`,
    );
  }
  const retryPeriodSeconds = parsePositiveNumber('--retry-period-seconds', flags.retryPeriodSeconds);
  if (retryPeriodSeconds >= renewDeadlineSeconds) {
    throw new InputError(
      `--retry-period-seconds (${retryPeriodSeconds}) must be less than --renew-deadline-seconds (${renewDeadlineSeconds}): a leader renews several times before its deadline`,
    );
  }
  const prometheusA = prometheusEndpoint({ url: '--prometheus-a-url', files: '--prometheus-a' }, flags.prometheusAUrl, {
    bearerFile: flags.prometheusABearerTokenFile,
    basicFile: flags.prometheusABasicAuthFile,
  });
  const prometheusB = flags.prometheusBUrl
    ? prometheusEndpoint({ url: '--prometheus-b-url', files: '--prometheus-b' }, flags.prometheusBUrl, {
        bearerFile: flags.prometheusBBearerTokenFile,
        basicFile: flags.prometheusBBasicAuthFile,
      })
    : prometheusA;
  const gateway = flags.gatewayUrl ? gatewayEndpoint(flags) : undefined;
  return {
    prometheusA,
    prometheusB,
    prometheusTimeoutMs: parsePositiveNumber('--prometheus-timeout-seconds', flags.prometheusTimeoutSeconds) * 1000,
    gateway,
    namespaces: flags.namespaces
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    logLevel: flags.logLevel,
    kubeconfig,
    listen: { host: listen[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(listen[2]) },
    leaderElection: {
      enabled: flags.leaderElect,
      namespace: flags.leaseNamespace,
      name: flags.leaseName,
      identity: flags.identity,
      leaseDurationSeconds,
      renewDeadlineSeconds,
      retryPeriodSeconds,
      shards: parseShards(flags),
    },
    apiTimeoutMs: parsePositiveNumber('--api-timeout-seconds', flags.apiTimeoutSeconds) * 1000,
    shutdownTimeoutMs: parsePositiveNumber('--shutdown-timeout-seconds', flags.shutdownTimeoutSeconds) * 1000,
    openfaasEdition: flags.openfaasEdition === 'ce' ? 'ce' : 'pro',
    limits: {
      maxReplicas: parseInteger('--max-replicas', flags.maxReplicas, 1),
      maxScaleUpFactor: parseNumberAbove('--max-scale-up-factor', flags.maxScaleUpFactor, 1),
      functionNamespaces: (flags.functionNamespaces ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== ''),
    },
    modelDirs: (flags.modelDirs ?? '')
      .split(',')
      .map((d) => d.trim())
      .filter((d) => d !== ''),
  };
}

/** Each shard is a Lease renewed every retry period by its leader: a few dozen at most. */
const MAX_SHARDS = 256;

function parseShards(flags: OperatorFlags): number {
  const shards = parseInteger('--shards', flags.shards, 1);
  if (shards > MAX_SHARDS) throw new InputError(`--shards: must be at most ${MAX_SHARDS}, got "${flags.shards}"`);
  if (shards > 1 && !flags.leaderElect)
    throw new InputError('--shards: shards are led through Leases; it cannot be used with --no-leader-elect');
  return shards;
}

/** A number greater than `floor` (e.g. a growth factor above 1). */
function parseNumberAbove(flag: string, text: string, floor: number): number {
  const v = parsePositiveNumber(flag, text);
  if (!(v > floor)) throw new InputError(`${flag}: must be a number > ${floor}, got "${text}"`);
  return v;
}
