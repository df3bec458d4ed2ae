/**
 * Runs suite cases: one case in this process (`runCase`), or many over worker processes
 * (`runCases`, suite-worker.ts), so both cores of a small machine work.
 */
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadTrace, parseFunctionSelector, selectFunction } from '#kernel/traces/index.js';
import { applyRateScale } from '#kernel/traces/window.js';
import { InputError } from '#kernel/input-error.js';
import type { Trace } from '#kernel/traces/types.js';
import { resolveBundled } from '../package-root.js';
import type { EvaluateResult } from './types.js';
import { DEFAULT_POOL_OPTIONS, sloForFunction } from '../training/pool.js';
import { evaluatePolicies, parsePolicyList } from './evaluate.js';
import type { CaseOutcome, SuiteCase } from './suite.js';

/** The settings every suite case shares (evaluate's defaults). */
export const SUITE_SETTINGS = { intervalSeconds: 30, seed: 1, minReplicas: 1, maxReplicas: 24 } as const;

const traces = new Map<string, Promise<Trace>>();

/** One case with every policy of `policies` and the sweep; learned policies without a model are left out. */
export async function runCase(c: SuiteCase, policies: string): Promise<EvaluateResult> {
  let loading = traces.get(c.trace);
  if (!loading) {
    loading = loadTrace({ trace: resolveBundled(c.trace) });
    traces.set(c.trace, loading);
  }
  const trace = await loading;
  let picked;
  try {
    picked = selectFunction(trace, parseFunctionSelector(c.function, `case ${c.name}: function`));
  } catch (err) {
    throw err instanceof InputError && !err.message.startsWith('case ') ? new InputError(`case ${c.name}: ${err.message}`) : err;
  }
  const scaled = applyRateScale({ ...trace, functions: [picked] }, c.rateScale);
  const fn = scaled.functions[0];
  const sloP95Ms = c.sloMs ?? sloForFunction(picked, DEFAULT_POOL_OPTIONS);
  const output = await evaluatePolicies({
    trace: { ...scaled, source: c.trace },
    fn,
    policies: parsePolicyList(policies),
    sloP95Ms,
    ...SUITE_SETTINGS,
    sweep: true,
    onUnavailable: () => undefined,
  });
  return output.run;
}

export interface RunCasesOptions {
  /** Worker processes; 1 runs every case in this process. */
  workers: number;
  onCaseDone?(done: number, total: number, name: string): void;
}

/** Every case, in the suite's order, over `workers` processes. */
export async function runCases(cases: readonly SuiteCase[], policies: string, opts: RunCasesOptions): Promise<CaseOutcome[]> {
  const outcomes: (CaseOutcome | undefined)[] = new Array(cases.length);
  let done = 0;
  const finish = (i: number, run: EvaluateResult): void => {
    outcomes[i] = { case: cases[i], run };
    opts.onCaseDone?.(++done, cases.length, cases[i].name);
  };
  const workers = Math.max(1, Math.min(opts.workers, cases.length));
  if (workers === 1) {
    for (const [i, c] of cases.entries()) finish(i, await runCase(c, policies));
    return outcomes as CaseOutcome[];
  }
  let next = 0;
  const script = fileURLToPath(new URL('./suite-worker.js', import.meta.url));
  await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<void>((resolve, reject) => {
          // 'advanced' serialization keeps Infinity (a timed-out P95) across the process boundary.
          const child = fork(script, [], { serialization: 'advanced', stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
          let current = -1;
          const give = (): void => {
            if (next >= cases.length) {
              child.disconnect();
              return;
            }
            current = next++;
            child.send({ case: cases[current], policies });
          };
          child.on('message', (msg: { run?: EvaluateResult; error?: string; input?: boolean }) => {
            if (msg.error !== undefined) {
              child.kill();
              // Bad input in a case stays bad input (one line, exit 2) across the process boundary.
              const message = msg.error.startsWith('case ') ? msg.error : `case ${cases[current].name}: ${msg.error}`;
              reject(msg.input ? new InputError(message) : new Error(message));
              return;
            }
            finish(current, msg.run!);
            give();
          });
          child.on('error', reject);
          child.on('exit', (code) =>
            code === 0 || code === null ? resolve() : reject(new Error(`suite worker exited with code ${code}`)),
          );
          give();
        }),
    ),
  );
  return outcomes as CaseOutcome[];
}

export function defaultWorkers(): number {
  return availableParallelism();
}
