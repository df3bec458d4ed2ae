/**
 * `npm run bench [-- name ...]`: runs every `bench/*.bench.ts` (compiled to dist/bench), or only
 * those whose file name contains one of the given names. Each module exports
 * `run(): Promise<void>` and prints its own figures, as ratios against a reference measured in the
 * same process where there is one. Benchmarks never assert on time; they report it.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface BenchModule {
  run(): Promise<void>;
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const wanted = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.js'))
    .filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)))
    .sort();
  if (files.length === 0) {
    console.error(
      `no benchmark matches ${wanted.join(', ')}; available: ${readdirSync(here)
        .filter((f) => f.endsWith('.bench.js'))
        .join(', ')}`,
    );
    process.exitCode = 2;
    return;
  }
  for (const file of files) {
    console.log(`\n## ${file.replace(/\.bench\.js$/, '')}`);
    const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
    await mod.run();
  }
}

await main();
