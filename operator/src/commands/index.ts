/** One line per command; each module registers its flags and a lazily-loaded action. */
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // Commands are added here as their modules land (evaluate, demo, train, operator, record,
  // calibrate, sandbox).
}
