/**
 * Output files named by flags, checked before a long run rather than found unwritable after it.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from './input-error.js';

/**
 * Creates `dir` and its missing parents one level at a time (Node's `mkdir({ recursive: true })`
 * can spin forever below a pseudo file system such as /proc, where every level answers ENOENT).
 */
export async function makeDirs(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const found = await stat(d).then(
      (s) => s,
      () => undefined,
    );
    if (found) {
      if (!found.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      break;
    }
    missing.unshift(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing) await mkdir(d);
}

/** Creates `path`'s folder and checks the file can be written (an empty file is left when new). */
export async function checkWritable(flag: string, path: string): Promise<void> {
  try {
    await makeDirs(dirname(path));
    await writeFile(path, '', { flag: 'a' });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`${flag}: cannot write ${path} (${e.code ?? e.message})`, { cause: err });
  }
}
