/**
 * spec.policy.model may only point into the shipped models or a directory the administrator named
 * (--model-dirs), after `..` and symlinks are resolved; a refusal is a load failure naming both.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkModelDir } from '../../../operator/src/controller/run-operator.js';
import { packagePath } from '../../../operator/src/package-root.js';
import { PolicyConfigError } from '../../../operator/src/policies/policy.js';

let root: string;
let allowed: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'model-dirs-'));
  allowed = join(root, 'models');
  mkdirSync(join(allowed, 'mine'), { recursive: true });
  symlinkSync('/etc', join(allowed, 'escape'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = (model?: string) => ({ name: 'lstm-ppo-plus' as const, ...(model !== undefined ? { model } : {}) });

it.each([
  ['no model (the shipped one)', () => undefined],
  ['a shipped model', () => packagePath('models', 'lstm-ppo-plus')],
  ['a model under --model-dirs', () => join(allowed, 'mine')],
  ['a model under --model-dirs that does not exist yet', () => join(allowed, 'later')],
])('accepts %s', (_what, model) => {
  expect(() => checkModelDir(spec(model()), [allowed])).not.toThrow();
});

it.each([
  ['/etc', () => '/etc'],
  ['a path climbing out with ..', () => join(allowed, '..', '..', 'root', '.ssh')],
  ['a symlink inside that leads out', () => join(allowed, 'escape')],
  ['a sibling whose name starts like an allowed one', () => `${allowed}-evil`],
  ['a relative path', () => 'models/../../etc'],
])('refuses %s, naming the directories allowed', (_what, model) => {
  let err: unknown;
  try {
    checkModelDir(spec(model()), [allowed]);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(PolicyConfigError);
  expect((err as Error).message).toMatch(
    /^policy "lstm-ppo-plus": spec\.policy\.model .* is outside the directories the operator reads models from \(.*\); an administrator adds one with --model-dirs$/,
  );
});
