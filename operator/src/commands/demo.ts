/**
 * `faas-autoscaler demo` (`npm run demo`): every available policy — the baselines, the learned
 * policies with the shipped models, and the oracle — on a bursty HTTP function of the bundled
 * Azure 2019 slice, in the simulator, with the baselines also tuned across their main knob
 * (`evaluate --sweep`); prints the table and writes an HTML report.
 */
import type { Command } from 'commander';

/** The demo's setting: the burstiest busy HTTP function of the slice, scaled so bursts need several replicas. */
export const DEMO = {
  trace: 'traces/azure2019/invitro_sample250_min480-959',
  /** rank:8 of the slice, hash 7017de4f…: HTTP, CV of per-minute counts 2.4, peak 734/min, mean 33 ms. */
  function: 'row:186',
  rateScale: 20,
  sloMs: 500,
  intervalSeconds: 30,
  seed: 1,
  minReplicas: 1,
  maxReplicas: 24,
} as const;

export interface DemoFlags {
  out: string;
  progress: boolean;
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      `compare every available policy on a bursty HTTP function of the bundled Azure 2019 slice ` +
        `(${DEMO.function}, rate ×${DEMO.rateScale}, SLO P95 ${DEMO.sloMs} ms) and write an HTML report`,
    )
    .option('--out <dir>', 'directory for report.html and results.json', 'out/demo')
    .option('--no-progress', 'no progress bar on stderr')
    .action(async (flags: DemoFlags) => {
      const { runEvaluateCommand } = await import('./evaluate-run.js');
      await runEvaluateCommand(
        {
          trace: DEMO.trace,
          function: DEMO.function,
          policies: 'all',
          sloMs: String(DEMO.sloMs),
          interval: String(DEMO.intervalSeconds),
          rateScale: String(DEMO.rateScale),
          seed: String(DEMO.seed),
          minReplicas: String(DEMO.minReplicas),
          maxReplicas: String(DEMO.maxReplicas),
          param: [],
          model: [],
          json: `${flags.out}/results.json`,
          report: `${flags.out}/report.html`,
          progress: flags.progress,
          sweep: true,
        },
        { skipUnavailable: true, title: 'faas-autoscaler demo' },
      );
    });
}
