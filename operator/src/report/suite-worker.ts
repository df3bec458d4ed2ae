/**
 * A suite worker process (forked by suite-run.ts): runs the cases it is sent, one at a time, and
 * answers each with its result, or with the error's message. Exits when the parent disconnects.
 */
import { InputError } from '#kernel/input-error.js';
import { runCase } from './suite-run.js';
import type { SuiteCase } from './suite.js';

process.on('message', (msg: { case: SuiteCase; policies: string }) => {
  runCase(msg.case, msg.policies).then(
    (run) => process.send!({ run }),
    (err: unknown) => process.send!({ error: err instanceof Error ? err.message : String(err), input: err instanceof InputError }),
  );
});
process.on('disconnect', () => process.exit(0));
