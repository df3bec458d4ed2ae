/**
 * What `faas-autoscaler calibrate` does once its flags are parsed: read the recording, pick the
 * function, calibrate, write the profile file and print the report.
 */
import { writeFile } from 'node:fs/promises';
import { InputError } from '#kernel/input-error.js';
import { parseDurationSeconds, parseInteger } from '#kernel/units.js';
import { parseQuantity } from '../api/quantity.js';
import { DEFAULT_SIM_CONFIG } from '../sim/config.js';
import { calibrate } from '../recording/calibrate.js';
import { pickFunction, readRecording } from '../recording/format.js';
import { formatCalibrationReport, profileFile, sha256File } from '../recording/profile.js';
import { toolVersion } from '../recording/tool-version.js';

export interface CalibrateFlags {
  recording: string;
  out: string;
  function?: string;
  cpuRequest?: string;
  memoryRequest?: string;
  fitWindow: string;
  seed: string;
}

export async function runCalibrateCommand(flags: CalibrateFlags): Promise<void> {
  const seed = parseInteger('--seed', flags.seed, 0);
  const fitWindowSeconds = parseDurationSeconds('--fit-window', flags.fitWindow);
  const cpu = flags.cpuRequest !== undefined ? parseQuantity(flags.cpuRequest, '--cpu-request') : undefined;
  const memory = flags.memoryRequest !== undefined ? parseQuantity(flags.memoryRequest, '--memory-request') : undefined;
  for (const [flag, v] of [
    ['--cpu-request', cpu],
    ['--memory-request', memory],
  ] as const) {
    if (v !== undefined && !(v > 0)) throw new InputError(`${flag}: must be > 0`);
  }
  const recording = await readRecording(flags.recording);
  const fn = pickFunction('--function', recording, flags.function);
  const records = recording.byFunction.get(fn) ?? [];
  // A profile of defaults would look like a calibration: refuse a recording with nothing to fit.
  if (!records.some((r) => r.requests !== null && r.requests > 0)) {
    throw new InputError(
      `--recording: ${flags.recording} has no request for ${fn} in its ${records.length} steps; nothing to calibrate from (record a period when the function was invoked)`,
    );
  }
  const step = recording.header.stepSeconds;
  const fitWindowSteps = Math.max(1, Math.round(fitWindowSeconds / step));
  const requests =
    cpu !== undefined || memory !== undefined
      ? { cpuCores: cpu ?? DEFAULT_SIM_CONFIG.requests.cpuCores, memoryBytes: memory ?? DEFAULT_SIM_CONFIG.requests.memoryBytes }
      : undefined;
  const cal = calibrate({ recording, fn, requests, fitWindowSteps, seed });
  const profile = profileFile(cal, recording, { sha256: await sha256File(flags.recording), tool: toolVersion(), now: Date.now() });
  await writeFile(flags.out, `${JSON.stringify(profile, null, 2)}\n`);
  process.stdout.write(formatCalibrationReport(cal, recording));
  process.stdout.write(`profile written to ${flags.out}\n`);
}
