/**
 * `faas-autoscaler calibrate --recording FILE --out profile.json [--function NAME]`
 *
 * Fits the simulator's function profile (service time, concurrency, cold start, CPU, memory) to a
 * recording, writes it as a profile file the simulator and `train --profile` take, and prints
 * the estimates with a goodness-of-fit report.
 */
import type { Command } from 'commander';
import type { CalibrateFlags } from './calibrate-run.js';

export function registerCalibrate(program: Command): void {
  program
    .command('calibrate')
    .description("fit the simulator's function profile to a recording and report how well it reproduces it")
    .requiredOption('--recording <file>', 'recording written by `faas-autoscaler record`')
    .requiredOption('--out <file>', 'profile file to write (JSON)')
    .option('--function <name>', 'function of the recording (NAME or NAME.NAMESPACE); default: the only one')
    .option('--cpu-request <quantity>', 'CPU request per replica, carried into the profile (e.g. 150m)')
    .option('--memory-request <quantity>', 'memory request per replica, carried into the profile (e.g. 256Mi)')
    .option('--fit-window <duration>', 'window of the goodness-of-fit comparison', '30s')
    .option('--seed <n>', 'seed of the replay', '1')
    .action(async (flags: CalibrateFlags) => {
      const { runCalibrateCommand } = await import('./calibrate-run.js');
      await runCalibrateCommand(flags);
    });
}
