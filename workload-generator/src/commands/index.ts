/** One line per command; each module registers its flags and a lazily-loaded action. */
import type { Command } from 'commander';
import { registerGenerate } from './generate.js';
import { registerReplay } from './replay.js';
import { registerStats } from './stats.js';

export function registerCommands(program: Command): void {
  registerReplay(program);
  registerStats(program);
  registerGenerate(program);
}
