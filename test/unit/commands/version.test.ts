/** `--version` (and `-V`) of both CLIs print package.json's version and exit 0. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main as autoscaler } from '../../../operator/src/cli.js';
import { main as loadgen } from '../../../workload-generator/src/cli.js';
import { runMain } from '../../support/capture.js';
import { REPO_ROOT } from '../../support/tools.js';

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

it.each([
  ['faas-autoscaler', '--version', autoscaler],
  ['faas-autoscaler', '-V', autoscaler],
  ['faas-loadgen', '--version', loadgen],
  ['faas-loadgen', '-V', loadgen],
] as const)('%s %s prints the package version', async (name, flag, main) => {
  const got = await runMain(main, name, [flag]);
  expect({ code: got.code, stdout: got.stdout, stderr: got.stderr }).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});
