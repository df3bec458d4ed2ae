/**
 * Which functions the sandbox serves and how each behaves, from `--functions` or a config file.
 * Each function's behaviour is a simulator configuration (operator/src/sim/config.ts, validated
 * by `resolveSimConfig`), so the sandbox and the simulator mean the same thing by "cold start",
 * "concurrency" or "service time".
 *
 * `--functions` is a comma list of `name[=profile]`:
 *
 *   figlet                    the simulator's default service time (no profile: lognormal, mean 600 ms)
 *   figlet=exp:100ms          exponential, mean 100 ms (M/M/c)
 *   figlet=fixed:50ms         every request 50 ms
 *   figlet=lognormal:80ms:0.5 lognormal with median 80 ms and sigma 0.5 (of ln ms)
 *   figlet=trace:rank:1       the Azure duration (and memory) profile of a trace function
 *                             (`--trace`; selectors as in faas-loadgen: hash, row:N, rank:N)
 *
 * The config file (YAML or JSON) gives the same per function plus any simulator setting:
 *
 *   trace: traces/azure2019/invitro_sample250_min480-959
 *   functions:
 *     - name: figlet
 *       profile: exp:100ms              # or serviceTime: {kind: exponential, meanMs: 100}
 *       concurrencyPerReplica: 2
 *       coldStartSeconds: 3
 *       initialReplicas: 1
 *       image: ghcr.io/openfaas/figlet:latest
 *       labels: {com.openfaas.scale.min: "1"}
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InputError } from '#kernel/input-error.js';
import { parseDurationSeconds } from '#kernel/units.js';
import type { FunctionProfile, Trace } from '#kernel/traces/types.js';
import { parseFunctionSelector, selectFunction } from '#kernel/traces/select.js';
import { resolveSimConfig, type SimConfig } from '../sim/config.js';
import { resolveServiceTime, type ServiceTimeModel, type ServiceTimeSpec } from '../sim/service-time.js';

/** One function as written by the user (flag or file), before resolution. */
export interface FunctionEntry {
  name: string;
  /** Shorthand for the service time (see the header). */
  profile?: string;
  image?: string;
  labels?: Record<string, string>;
  /** Any simulator setting (serviceTime, concurrencyPerReplica, coldStartSeconds, ...). */
  sim: Partial<SimConfig>;
}

export interface SandboxConfigFile {
  trace?: string;
  timeScale?: number;
  seed?: number;
  ce?: boolean;
  functions: FunctionEntry[];
}

/** A function ready to serve: its resolved simulator config and service-time model. */
export interface SandboxFunction {
  name: string;
  image: string;
  labels: Record<string, string>;
  config: SimConfig;
  serviceTime: ServiceTimeModel;
  /** Where the behaviour came from, for the start-up banner. */
  source: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SIM_KEYS = new Set([
  'concurrencyPerReplica',
  'coldStartSeconds',
  'upstreamTimeoutSeconds',
  'timeoutStatusCode',
  'initialReplicas',
  'allowScaleToZero',
  'serviceTime',
  'minServiceMs',
  'cpuCoresPerBusySlot',
  'idleCpuCoresPerReplica',
  'memoryBaseMb',
  'memoryPerInflightMb',
  'requests',
]);

/** `--functions a,b=exp:100ms,...` → entries (names checked; profiles checked on resolution). */
export function parseFunctionsFlag(text: string): FunctionEntry[] {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((item) => {
      const eq = item.indexOf('=');
      const name = eq < 0 ? item : item.slice(0, eq);
      const profile = eq < 0 ? undefined : item.slice(eq + 1);
      return { name: checkName('--functions', name), ...(profile !== undefined ? { profile } : {}), sim: {} };
    });
  if (entries.length === 0) throw new InputError('--functions: give at least one function, e.g. figlet=exp:100ms');
  return entries;
}

/** Reads a YAML/JSON config file; every bad field is an InputError naming it. */
export function loadSandboxConfigFile(path: string): SandboxConfigFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InputError(`--config: cannot read ${path}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (!isObject(raw)) throw new InputError(`--config: ${path} must hold a mapping with a "functions" list`);
  const known = new Set(['trace', 'timeScale', 'seed', 'ce', 'functions']);
  for (const k of Object.keys(raw))
    if (!known.has(k)) throw new InputError(`--config: unknown key "${k}" in ${path}; allowed: ${[...known].join(', ')}`);
  if (!Array.isArray(raw.functions) || raw.functions.length === 0)
    throw new InputError(`--config: ${path}: "functions" must be a non-empty list`);
  const out: SandboxConfigFile = {
    functions: raw.functions.map((f, i) => functionEntry(f, `functions[${i}]`)),
  };
  if (raw.trace !== undefined) out.trace = typed('trace', raw.trace, 'string');
  if (raw.timeScale !== undefined) out.timeScale = typed('timeScale', raw.timeScale, 'number');
  if (raw.seed !== undefined) out.seed = typed('seed', raw.seed, 'number');
  if (raw.ce !== undefined) out.ce = typed('ce', raw.ce, 'boolean');
  return out;
}

function functionEntry(raw: unknown, where: string): FunctionEntry {
  if (!isObject(raw)) throw new InputError(`--config: ${where} must be a mapping with at least "name"`);
  const entry: FunctionEntry = { name: checkName(`--config: ${where}.name`, typed(`${where}.name`, raw.name, 'string')), sim: {} };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'name') continue;
    else if (k === 'profile') entry.profile = typed(`${where}.profile`, v, 'string');
    else if (k === 'image') entry.image = typed(`${where}.image`, v, 'string');
    else if (k === 'labels') {
      if (!isObject(v) || Object.values(v).some((x) => typeof x !== 'string'))
        throw new InputError(`--config: ${where}.labels must map strings to strings`);
      entry.labels = v as Record<string, string>;
    } else if (SIM_KEYS.has(k)) (entry.sim as Record<string, unknown>)[k] = v;
    else
      throw new InputError(`--config: unknown key "${k}" in ${where}; allowed: name, profile, image, labels, ${[...SIM_KEYS].join(', ')}`);
  }
  return entry;
}

/** The service-time spec a profile shorthand stands for, plus the trace profile it needs (if any). */
export function parseProfile(
  field: string,
  text: string,
  trace: Trace | undefined,
): { spec: ServiceTimeSpec; profile?: FunctionProfile; source: string } {
  const [kind, ...rest] = text.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'default':
      return { spec: { kind: 'profile' }, source: 'simulator default' };
    case 'exp':
      return { spec: { kind: 'exponential', meanMs: parseDurationSeconds(field, arg) * 1000 }, source: `exponential, mean ${arg}` };
    case 'fixed':
      return { spec: { kind: 'deterministic', ms: parseDurationSeconds(field, arg) * 1000 }, source: `fixed ${arg}` };
    case 'lognormal': {
      const [median, sigmaText] = rest;
      const sigma = Number(sigmaText);
      if (median === undefined || sigmaText === undefined || !(sigma >= 0)) {
        throw new InputError(`${field}: "${text}" must be lognormal:<median>:<sigma>, e.g. lognormal:80ms:0.5`);
      }
      return {
        spec: { kind: 'lognormal', mu: Math.log(parseDurationSeconds(field, median) * 1000), sigma },
        source: `lognormal, median ${median}, sigma ${sigma}`,
      };
    }
    case 'trace': {
      if (!trace) throw new InputError(`${field}: "${text}" needs --trace (or "trace:" in the config file)`);
      const fn = selectFunction(trace, parseFunctionSelector(arg, field));
      return { spec: { kind: 'profile' }, profile: fn.profile, source: `trace function ${fn.id.slice(0, 12)}` };
    }
    default:
      throw new InputError(
        `${field}: unknown profile "${text}"; use default, exp:<mean>, fixed:<time>, lognormal:<median>:<sigma> or trace:<selector>`,
      );
  }
}

/** Entries → functions with validated simulator configs (InputError naming the function and field). */
export function resolveFunctions(entries: readonly FunctionEntry[], trace: Trace | undefined): SandboxFunction[] {
  const seen = new Set<string>();
  return entries.map((e) => {
    if (seen.has(e.name)) throw new InputError(`functions: "${e.name}" is defined twice`);
    seen.add(e.name);
    const field = `function ${e.name}`;
    if (e.profile !== undefined && e.sim.serviceTime !== undefined) throw new InputError(`${field}: give profile or serviceTime, not both`);
    const parsed = e.profile !== undefined ? parseProfile(`${field}: profile`, e.profile, trace) : undefined;
    let config: SimConfig;
    try {
      config = resolveSimConfig({
        ...e.sim,
        ...(parsed ? { serviceTime: parsed.spec } : {}),
        ...(parsed?.profile?.memory && e.sim.memoryBaseMb === undefined ? { memoryBaseMb: parsed.profile.memory.averageAllocatedMb } : {}),
      });
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${field}: ${err.message}`, { cause: err });
      throw err;
    }
    const serviceTime = resolveServiceTime(config.serviceTime, parsed?.profile?.durations, config.minServiceMs);
    return {
      name: e.name,
      image: e.image ?? `faas-sandbox/${e.name}:latest`,
      labels: e.labels ?? {},
      config,
      serviceTime,
      source: parsed?.source ?? (e.sim.serviceTime ? `serviceTime ${e.sim.serviceTime.kind}` : 'simulator default'),
    };
  });
}

function checkName(field: string, name: string): string {
  if (!NAME.test(name) || name.length > 63) {
    throw new InputError(
      `${field}: "${name}" is not a valid function name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit)`,
    );
  }
  return name;
}

function typed<T extends 'string' | 'number' | 'boolean'>(
  field: string,
  v: unknown,
  type: T,
): T extends 'string' ? string : T extends 'number' ? number : boolean {
  if (typeof v !== type) throw new InputError(`--config: ${field} must be a ${type}, got ${JSON.stringify(v)}`);
  return v as never;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
