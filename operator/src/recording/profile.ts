/**
 * The calibrated profile file (`calibrate --out profile.json`): the `sim` object is a
 * `Partial<SimConfig>` the simulator takes as is (`new FunctionSimulator({..., config: profile.sim})`,
 * `train --profile`); the rest says where every number came from and how well the simulator then
 * reproduces the recording.
 *
 *   { "format": "faas-autoscaler-profile", "version": 1, "function": "figlet.openfaas-fn",
 *     "sim": { "serviceTime": {"kind": "lognormal", "mu": 5.3, "sigma": 0.5}, "concurrencyPerReplica": 2, ... },
 *     "provenance": { "recording": {...}, "calibratedAt": "...", "tool": "...", "estimates": {...} },
 *     "goodnessOfFit": {...}, "dataQuality": {...}, "warnings": [...] }
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { InputError } from '#kernel/input-error.js';
import { resolveSimConfig, type SimConfig } from '../sim/config.js';
import type { Calibration, Estimate } from './calibrate.js';
import type { Recording } from './format.js';
import type { ErrorStats, GoodnessOfFit } from './goodness-of-fit.js';

export const PROFILE_FORMAT = 'faas-autoscaler-profile';
export const PROFILE_VERSION = 1;

export interface ProfileFile {
  format: typeof PROFILE_FORMAT;
  version: typeof PROFILE_VERSION;
  function: string;
  sim: Partial<SimConfig>;
  provenance: {
    recording: { path: string; sha256: string; from: string; to: string; stepSeconds: number; steps: number };
    calibratedAt: string;
    tool: string;
    estimates: Record<string, Omit<Estimate, 'fit'>>;
  };
  goodnessOfFit: GoodnessOfFit;
  dataQuality: Calibration['dataQuality'];
  warnings: string[];
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

export function profileFile(cal: Calibration, recording: Recording, meta: { sha256: string; tool: string; now: number }): ProfileFile {
  const { header } = recording;
  const estimates = Object.fromEntries(
    Object.entries(cal.estimates).map(([k, e]) => [k, { identified: e.identified, method: e.method, details: e.details }]),
  );
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    function: cal.fn,
    sim: cal.sim,
    provenance: {
      recording: {
        path: recording.path,
        sha256: meta.sha256,
        from: header.from,
        to: header.to,
        stepSeconds: header.stepSeconds,
        steps: recording.timesMs.length,
      },
      calibratedAt: new Date(meta.now).toISOString(),
      tool: meta.tool,
      estimates,
    },
    goodnessOfFit: cal.fit,
    dataQuality: cal.dataQuality,
    warnings: cal.warnings,
  };
}

/** Reads a profile file; its `sim` is validated by the simulator's own rules (InputError naming file and field). */
export async function loadProfile(path: string): Promise<{ function: string; sim: Partial<SimConfig> }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError(
      `--profile: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  const p = raw as Partial<ProfileFile>;
  if (typeof raw !== 'object' || raw === null || p.format !== PROFILE_FORMAT)
    throw new InputError(`--profile: ${path} is not a calibrated profile ("format" must be "${PROFILE_FORMAT}")`);
  if (p.version !== PROFILE_VERSION)
    throw new InputError(`--profile: ${path}: version ${JSON.stringify(p.version)} is not supported (this build reads ${PROFILE_VERSION})`);
  if (typeof p.function !== 'string') throw new InputError(`--profile: ${path}: "function" must be a string`);
  if (typeof p.sim !== 'object' || p.sim === null || Array.isArray(p.sim))
    throw new InputError(`--profile: ${path}: "sim" must be an object of simulator settings`);
  try {
    resolveSimConfig(p.sim);
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`--profile: ${path}: ${err.message}`, { cause: err });
    throw err;
  }
  return { function: p.function, sim: p.sim };
}

const pct = (x: number | null, signed = false): string => (x === null ? '-' : `${signed && x > 0 ? '+' : ''}${(x * 100).toFixed(1)} %`);
const num = (x: unknown, digits = 3): string => (typeof x === 'number' ? Number(x.toPrecision(digits)).toString() : '-');

/** The human report `calibrate` prints: one line per parameter, then the goodness of fit. */
export function formatCalibrationReport(cal: Calibration, recording: Recording): string {
  const { header } = recording;
  const e = cal.estimates;
  const lines: string[] = [];
  lines.push(
    `calibrated ${cal.fn} from ${recording.path} (${recording.timesMs.length} steps of ${header.stepSeconds} s, ${header.from} – ${header.to})`,
  );
  const row = (name: string, est: Estimate, text: string): void => {
    lines.push(`  ${name.padEnd(13)} ${est.identified ? text : 'not identified, simulator default kept'}`);
    lines.push(`  ${''.padEnd(13)}   ${est.method}`);
  };
  const s = e.serviceTime.details;
  row(
    'service time',
    e.serviceTime,
    `lognormal median ${num(s.medianMs, 4)} ms (mu ${num(s.mu, 5)}), sigma ${num(s.sigma, 3)} ± ${num(s.sigmaStdErr, 2)}, mean ${num(s.meanMs, 4)} ms`,
  );
  const c = e.concurrency.details;
  row(
    'concurrency',
    e.concurrency,
    `${c.concurrency} per replica (raw ${num(c.raw)}), capacity ${num(c.capacityPerReplicaRps)} req/s per replica`,
  );
  const k = e.coldStart.details;
  row(
    'cold start',
    e.coldStart,
    `${num(k.coldStartSeconds)} s (${k.scaleUps} scale-ups, ${num(k.minSeconds)}–${num(k.maxSeconds)} s, ± ${num(k.stdErrSeconds, 2)} s)`,
  );
  const u = e.cpu.details;
  row(
    'CPU',
    e.cpu,
    `${num(u.cpuCoresPerBusySlot)} cores per busy slot (${num(u.cpuCoreSecondsPerRequest)} core-s per request), idle ${num(u.idleCpuCoresPerReplica)} cores per replica`,
  );
  const m = e.memory.details;
  row('memory', e.memory, `${num(m.memoryBaseMb, 4)} MiB per replica + ${num(m.memoryPerInflightMb)} MiB per request in service`);
  const f = cal.fit;
  lines.push(`goodness of fit: the recorded arrivals and replicas replayed through the calibrated simulator, ${f.windowSeconds}-s windows`);
  const fitLine = (name: string, stats: { st: ErrorStats; floor: ErrorStats }, unit: string, scale: number): void => {
    const { st, floor } = stats;
    lines.push(
      `  ${name.padEnd(5)} median |error| ${pct(st.medianApe)} over ${st.windows} windows, ${pct(st.within10)} within 10 %, bias ${pct(st.bias, true)}; ` +
        `whole recording ${num(st.wholeRecorded === null ? null : st.wholeRecorded * scale, 4)} recorded vs ${num(st.wholeSimulated === null ? null : st.wholeSimulated * scale, 4)} ${unit} simulated (${pct(st.wholeError, true)}); ` +
        `noise floor ${pct(floor.medianApe)}`,
    );
  };
  fitLine('P95', { st: f.p95, floor: f.noiseFloor.p95 }, 'ms', 1);
  fitLine('CPU', { st: f.cpu, floor: f.noiseFloor.cpu }, 'cores', 1);
  lines.push('  (noise floor: the simulator against itself with another seed on the same windows)');
  const q = cal.dataQuality;
  const nulls = Object.entries(q.nulls).filter(([field]) => field !== 'inflight' && field !== 'meanExecutionMs');
  lines.push(
    `data: ${q.steps} steps${nulls.length ? `; null fields: ${nulls.map(([f2, n]) => `${f2} ${n}`).join(', ')}` : '; no null fields'}`,
  );
  for (const [note, n] of Object.entries(q.notes)) lines.push(`  repaired: ${note} (${n} step${n === 1 ? '' : 's'})`);
  for (const w of cal.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}
