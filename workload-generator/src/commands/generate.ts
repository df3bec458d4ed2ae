/** `faas-loadgen generate`: a seeded synthetic trace (diurnal shape plus bursts) in the Azure 2019 layout. */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { InputError } from '#kernel/input-error.js';
import { SYNTHETIC_DEFAULTS } from '../synthetic.js';
import type { SyntheticOptions } from '../synthetic.js';
import { parseInteger, parsePositiveNumber } from '#kernel/units.js';

interface GenerateFlags {
  out: string;
  functions: string;
  minutes: string;
  seed?: string;
  meanRate: string;
  spread: string;
  diurnalAmplitude: string;
  peakMinute: string;
  burstsPerDay: string;
  burstFactor: string;
  burstMinutes: string;
  startMinute: string;
}

const D = SYNTHETIC_DEFAULTS;

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'Write a synthetic trace (daily cycle plus bursts, Poisson counts per minute, seeded) as invocations.csv, durations.csv and memory.csv in the Azure 2019 layout',
    )
    .requiredOption('--out <dir>', 'folder to write (created if missing; the three files are overwritten)')
    .option('--functions <n>', 'number of functions', String(D.functions))
    .option('--minutes <n>', 'length of the trace in minute bins', String(D.minutes))
    .option('--seed <seed>', 'seed (any string); default a random one, printed on stderr')
    .option('--mean-rate <perMinute>', 'median over functions of the mean invocations per minute', String(D.meanPerMinute))
    .option('--spread <sigma>', 'log-sd of the per-function mean rates (0: all equally busy)', String(D.spread))
    .option('--diurnal-amplitude <a>', 'depth of the daily cycle, 0 (flat) to 1 (idle at the trough)', String(D.diurnalAmplitude))
    .option(
      '--peak-minute <m>',
      'minute of the day (0-1439) of the busiest time, jittered per function by N(0, 60 min)',
      String(D.peakMinute),
    )
    .option('--bursts-per-day <n>', 'mean number of bursts per function per day (0: none)', String(D.burstsPerDay))
    .option('--burst-factor <x>', 'rate multiplier during a burst', String(D.burstFactor))
    .option('--burst-minutes <n>', 'length of a burst in minutes', String(D.burstMinutes))
    .option('--start-minute <n>', 'minute label of the first column (1 = midnight, as in the 2019 dataset)', String(D.startMinute))
    .action(async (flags: GenerateFlags) => {
      const opts = parseGenerateFlags(flags);
      const { generateTrace, writeAzure2019Folder } = await import('../synthetic.js');
      const files = await writeAzure2019Folder(generateTrace(opts), flags.out);
      process.stderr.write(`faas-loadgen: wrote ${files.join(', ')} (seed ${opts.seed})\n`);
    });
}

export function parseGenerateFlags(flags: GenerateFlags): SyntheticOptions {
  const nonNegative = (flag: string, text: string): number => {
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v) || v < 0) throw new InputError(`${flag}: must be a number >= 0, got "${text}"`);
    return v;
  };
  const amplitude = nonNegative('--diurnal-amplitude', flags.diurnalAmplitude);
  if (amplitude > 1) throw new InputError(`--diurnal-amplitude: must be between 0 and 1, got "${flags.diurnalAmplitude}"`);
  const peakMinute = parseInteger('--peak-minute', flags.peakMinute, 0);
  if (peakMinute > 1439) throw new InputError(`--peak-minute: must be between 0 and 1439, got "${flags.peakMinute}"`);
  const burstFactor = parsePositiveNumber('--burst-factor', flags.burstFactor);
  return {
    functions: parseInteger('--functions', flags.functions, 1),
    minutes: parseInteger('--minutes', flags.minutes, 1),
    seed: flags.seed ?? String(randomInt(2 ** 31)),
    meanPerMinute: parsePositiveNumber('--mean-rate', flags.meanRate),
    spread: nonNegative('--spread', flags.spread),
    diurnalAmplitude: amplitude,
    peakMinute,
    burstsPerDay: nonNegative('--bursts-per-day', flags.burstsPerDay),
    burstFactor,
    burstMinutes: parseInteger('--burst-minutes', flags.burstMinutes, 1),
    startMinute: parseInteger('--start-minute', flags.startMinute, 1),
  };
}
