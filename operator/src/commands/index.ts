/** One line per command; each module registers its flags and a lazily-loaded action. */
import type { Command } from 'commander';
import { registerCalibrate } from './calibrate.js';
import { registerDemo } from './demo.js';
import { registerEvaluate } from './evaluate.js';
import { registerOperator } from './operator.js';
import { registerRecord } from './record.js';
import { registerSandbox } from './sandbox.js';
import { registerTrain } from './train.js';

export function registerCommands(program: Command): void {
  registerCalibrate(program);
  registerDemo(program);
  registerEvaluate(program);
  registerOperator(program);
  registerRecord(program);
  registerSandbox(program);
  registerTrain(program);
}
