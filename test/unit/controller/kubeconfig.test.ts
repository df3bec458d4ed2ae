/**
 * A kubeconfig that cannot be used is one line naming the file and the problem, never its content
 * (a token sits next to every line a YAML error would quote).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '#kernel/input-error.js';
import { loadKubeConfig } from '../../../operator/src/controller/run-operator.js';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu.sig';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubeconfig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const VALID = `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: 'https://127.0.0.1:6443'}}]
users: [{name: u, user: {token: ${TOKEN}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`;

it.each([
  [
    'malformed YAML',
    () => file('bad.yaml', VALID.replace('kind: Config', 'kind: Config\n  bad: [indent')),
    /not a usable kubeconfig: .* at line \d+, column \d+$/,
  ],
  ['a missing file', () => join(dir, 'missing.yaml'), /not a usable kubeconfig: cannot read it \(ENOENT\)$/],
  ['an empty file', () => file('empty.yaml', ''), /not a usable kubeconfig: it is empty or not a kubeconfig document$/],
  ['no current context', () => file('nocontext.yaml', VALID.replace('current-context: x\n', '')), /no current context with a cluster$/],
])('%s: one line naming the file, no token', async (_what, path, problem) => {
  const p = path();
  const err = await loadKubeConfig({ mode: 'file', path: p }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  const message = (err as Error).message;
  expect(message.startsWith(`--kubeconfig ${p}: `)).toBe(true);
  expect(message).toMatch(problem);
  expect(message).not.toContain('\n');
  expect(message).not.toContain(TOKEN);
});

it('loads a good one', async () => {
  const kc = await loadKubeConfig({ mode: 'file', path: file('good.yaml', VALID) });
  expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
});
