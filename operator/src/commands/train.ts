/**
 * `faas-autoscaler train --algo lstm-ppo-plus|lstm-ppo|ppo --trace … --steps N --seed S --out DIR`
 *
 * Trains a learned policy in the simulator on rate-scaled functions of a trace (held-out functions
 * excluded), shows a progress bar, evaluates greedily on validation functions every few updates,
 * writes the model (model.json + weights.bin), learning curves (curves.csv, curves.html) and a
 * checkpoint to resume from (`--resume`).
 */
import type { Command } from 'commander';
import type { TrainOptions } from './train-run.js';
import { ACTION_SPACES } from '../model/actions.js';
import { FEATURE_SETS } from '../model/features.js';

const ALGO_NAMES = ['lstm-ppo-plus', 'lstm-ppo', 'ppo'] as const;

/** The held-out functions of the shipped models (the busiest of the slice where scaling matters). */
export const DEFAULT_HOLDOUT = 'rank:1,rank:2,rank:7';
export const DEFAULT_VALIDATION = 'rank:9';
export const DEFAULT_TRACE = 'traces/azure2019/invitro_sample250_min480-959';

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a learned policy (lstm-ppo-plus, lstm-ppo, ppo) in the simulator')
    .requiredOption('--algo <name>', `algorithm: ${ALGO_NAMES.join(' | ')}`)
    .option('--trace <path>', 'trace file or folder', DEFAULT_TRACE)
    .option('--steps <n>', 'environment steps in all', '100000')
    .option('--seed <n>', 'random seed', '1')
    .requiredOption('--out <dir>', 'output directory (model, curves, checkpoint)')
    .option('--holdout <selectors>', 'functions never trained on (judged by evaluate)', DEFAULT_HOLDOUT)
    .option(
      '--validation <selectors>',
      "functions for the periodic validation (not trained on), decided by the model's --decision rule as the operator will",
      DEFAULT_VALIDATION,
    )
    .option('--functions <selectors>', 'candidate training functions before held-out/validation are removed', 'top:80')
    .option('--target-loads <list>', "mean loads (replicas' worth) each training function is rate-scaled to", '2,6,16')
    .option('--slo-factor <x>', 'SLO of a function = x × the P95 of its service time (at least 100 ms)', '1.5')
    .option(
      '--slo-ms <ms>',
      "one P95 latency SLO in ms for every function, instead of --slo-factor (e.g. the FunctionAutoscaler's spec.slo.p95LatencyMs)",
    )
    .option('--features <set>', `feature set: ${FEATURE_SETS.join(' | ')} (default: the algorithm's)`)
    .option('--actions <space>', `action space: ${ACTION_SPACES.join(' | ')} (default: the algorithm's)`)
    .option(
      '--paper',
      'lstm-ppo-plus exactly as published (7 features, delta5, Gaussian reward, γ 0.99, Adam 3e-4) instead of the shipped set-up',
    )
    .option(
      '--decision <rule>',
      "how the policy reads a deterministic decision: mode | mean (saved in the model; default: the algorithm's)",
    )
    .option(
      '--scale-down-stabilization <seconds>',
      "scale-down stabilization the policy declares for rails, trained under it (default: the algorithm's)",
    )
    .option('--reward <name>', "reward: gaussian | agarwal | slo-cost (default: the algorithm's)")
    .option('--violation-weight <w>', 'slo-cost: price of one violated interval')
    .option('--envs <n>', 'parallel environments')
    .option('--rollout-steps <n>', 'steps per env per rollout (BPTT length)')
    .option('--epochs <n>', 'PPO epochs per update')
    .option('--minibatches <n>', 'minibatches per epoch')
    .option('--lr <x>', 'Adam learning rate')
    .option('--gamma <x>', 'discount factor')
    .option('--gae-lambda <x>', 'GAE lambda')
    .option('--ent-coef <x>', 'entropy bonus coefficient')
    .option('--lstm-units <n>', 'LSTM width')
    .option('--episode-intervals <n>', 'decisions per training episode')
    .option('--max-replicas <n>', 'replica ceiling in training')
    .option('--eval-every <n>', 'validation every n updates')
    .option('--checkpoint-every <n>', 'checkpoint (for --resume) every n updates, and after the last')
    .option('--recording <file>', 'train on a recording (faas-autoscaler record) instead of --trace: its request rates are the arrivals')
    .option(
      '--profile <file>',
      'with --recording: the calibrated profile (faas-autoscaler calibrate); default: calibrate the recording now',
    )
    .option('--recording-function <name>', 'with --recording: which recorded function (default: the only one)')
    .option('--resume', 'continue from DIR/checkpoint if it exists')
    .option('--no-progress', 'no progress bar')
    .action(async (opts: TrainOptions) => {
      const { runTrain } = await import('./train-run.js');
      await runTrain(opts);
    });
}
