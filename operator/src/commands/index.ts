/** One line per command; each module registers its flags and a lazily-loaded action. */
import type { Command } from 'commander';
import { registerDemo } from './demo.js';
import { registerEvaluate } from './evaluate.js';
import { registerOperator } from './operator.js';
import { registerSandbox } from './sandbox.js';
import { registerTrain } from './train.js';

export function registerCommands(program: Command): void {
  registerDemo(program);
  registerEvaluate(program);
  registerOperator(program);
  registerSandbox(program);
  registerTrain(program);
  // Commands are added here as their modules land (evaluate, demo, train, operator, record,
  // calibrate, sandbox).
}
