/**
 * `train --recording FILE --profile FILE` end to end on a tiny budget: the recorded arrivals are
 * the environment's trace, the calibrated profile its simulator settings, and the model's metadata
 * says so (the recording's and the profile's sha256, the profile's settings).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../operator/src/cli.js';
import { recordingTrainingSet } from '../../../operator/src/recording/train-input.js';
import { KNOWN_SIM, SCENARIO_COUNTS, SCENARIO_SCALING } from '../../integration/record-calibrate-scenario.js';
import { FN, recordingText, simRecording } from './sim-recording.js';
import { captureOutput } from '../../support/capture.js';

let dir: string;
let recordingFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'train-recording-'));
  recordingFile = join(dir, 'rec.ndjson');
  await writeFile(
    recordingFile,
    recordingText(
      simRecording({ counts: SCENARIO_COUNTS, scaling: SCENARIO_SCALING, sim: { ...KNOWN_SIM, arrivals: 'poisson' }, seed: 2 }),
    ),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function quiet<T>(fn: () => Promise<T>): Promise<{ value: T; stderr: string }> {
  const { value, stdout, stderr } = await captureOutput(fn);
  return { value, stderr: stderr + stdout };
}

it('turns a recording into one pool entry at the recorded rate, calibrating it when no profile is given', async () => {
  const lines: string[] = [];
  const set = await recordingTrainingSet({
    recording: recordingFile,
    slo: { sloFactor: 1.5, minSloMs: 100 },
    episodeSeconds: 3630,
    log: (l) => lines.push(l),
  });
  const records = (await readFile(recordingFile, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => JSON.parse(l) as { started: number });
  expect(set.pool).toHaveLength(1);
  expect(set.pool[0]).toMatchObject({ binSeconds: 1, rateScale: 1 });
  expect(set.pool[0].fn.counts).toEqual(records.map((r) => r.started));
  // 48 steps are far shorter than two episodes: nothing held out, and the log says so.
  expect(set.validation[0].fn.counts).toEqual(set.pool[0].fn.counts);
  expect(lines.at(-1)).toMatch(/validation on the same steps \(shorter than 10 episodes, nothing held out\); SLO \d+ ms/);
  // No profile: calibrated here, and the report is in the log.
  expect(set.sim).toMatchObject({ concurrencyPerReplica: 2, coldStartSeconds: 3 });
  expect(lines[0]).toMatch(/^calibrated fn\.openfaas-fn/);
  // The SLO follows the calibrated service time: 1.5 × its P95 (e^(mu + 1.645 sigma) ≈ 450 ms).
  expect(set.pool[0].sloP95Ms).toBeGreaterThan(600);
  expect(set.pool[0].sloP95Ms).toBeLessThan(750);
  // One SLO given (`train --slo-ms`, the same as the FunctionAutoscaler's and evaluate's) replaces the rule.
  const fixed = await recordingTrainingSet({
    recording: recordingFile,
    slo: { sloFactor: 1.5, minSloMs: 100, sloMs: 1000 },
    episodeSeconds: 3630,
    log: () => {},
  });
  expect([fixed.pool[0].sloP95Ms, fixed.validation[0].sloP95Ms]).toEqual([1000, 1000]);
});

it('trains a model from --recording and --profile (both files in its provenance), and evaluates it on the recording', async () => {
  const profile = join(dir, 'profile.json');
  const out = join(dir, 'model');
  const cal = await quiet(() => main(['node', 'faas-autoscaler', 'calibrate', '--recording', recordingFile, '--out', profile]));
  expect(cal.value).toBe(0);
  const { value: code, stderr } = await quiet(() =>
    main([
      'node',
      'faas-autoscaler',
      'train',
      '--algo',
      'ppo',
      '--recording',
      recordingFile,
      '--profile',
      profile,
      '--out',
      out,
      '--steps',
      '32',
      '--envs',
      '2',
      '--rollout-steps',
      '8',
      '--minibatches',
      '1',
      '--epochs',
      '1',
      '--episode-intervals',
      '4',
      '--eval-every',
      '1',
      '--slo-ms',
      '1000',
      '--no-progress',
    ]),
  );
  expect({ code, stderr: code === 0 ? '' : stderr }).toEqual({ code: 0, stderr: '' });
  expect(stderr).toMatch(/training on fn\.openfaas-fn as recorded: 48 steps of 1 s.*; SLO 1000 ms$/m);
  const meta = JSON.parse(await readFile(join(out, 'model.json'), 'utf8')) as {
    trace: { files: { path: string; sha256: string }[]; trainFunctions: string[] };
    training: { args: { sim: Record<string, unknown> } };
  };
  expect(meta.trace.files.map((f) => f.path)).toEqual([recordingFile, profile]);
  expect(meta.trace.trainFunctions).toEqual([FN]);
  const profileSim = (JSON.parse(await readFile(profile, 'utf8')) as { sim: Record<string, unknown> }).sim;
  expect(meta.training.args.sim).toEqual(profileSim);

  // evaluate on the same recording and profile: the trained model against hpa, same arrivals.
  const json = join(dir, 'eval.json');
  const evaluated = await quiet(() =>
    main([
      'node',
      'faas-autoscaler',
      'evaluate',
      '--recording',
      recordingFile,
      '--profile',
      profile,
      '--policies',
      'ppo,hpa',
      '--model',
      `ppo=${out}`,
      '--interval',
      '5',
      '--slo-ms',
      '1000',
      '--json',
      json,
      '--no-progress',
    ]),
  );
  expect({ code: evaluated.value, stderr: evaluated.value === 0 ? '' : evaluated.stderr }).toEqual({ code: 0, stderr: '' });
  const run = JSON.parse(await readFile(json, 'utf8')) as { function?: { id?: string }; results?: { policy: string; requests: number }[] };
  expect(JSON.stringify(run)).toContain(FN);
  const requests = (await readFile(recordingFile, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .reduce((sum, l) => sum + (JSON.parse(l) as { started: number }).started, 0);
  // Both policies met exactly the recorded arrivals (the simulator draws Poisson counts around them).
  const results = run.results ?? [];
  expect(results.map((r) => r.policy).sort()).toEqual(['hpa', 'ppo']);
  for (const r of results) expect(Math.abs(r.requests - requests) / requests).toBeLessThan(0.1);
}, 60_000);
