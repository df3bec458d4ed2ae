/** Helpers shared by the trace reader tests: repo paths, temp folders of crafted files. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
export const TRACES = join(REPO_ROOT, 'traces');
export const SLICE_2019 = join(TRACES, 'azure2019/invitro_sample250_min480-959');
export const FILE_2021 = join(TRACES, 'azure2021/Azure2021_200.csv');
export const FSCODE_RAW = join(TRACES, 'fscode/request_count_raw.json');
export const FSCODE_BOOSTED = join(TRACES, 'fscode/request_count_boosted.json');

const folders: string[] = [];

/** Writes `files` (name → content) into a fresh temp folder and returns its path. */
export function writeFixture(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'faas-traces-'));
  folders.push(folder);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, name)), { recursive: true });
    writeFileSync(join(folder, name), content);
  }
  return folder;
}

/** Removes every folder made by `writeFixture`; call from `afterAll`. */
export function removeFixtures(): void {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** A 64-hex-digit hash like the dataset's, recognisable by its first characters. */
export function hash(prefix: string): string {
  return prefix.padEnd(64, '0');
}

/** A 2019 invocations CSV: rows of [owner, app, function, trigger, ...counts], minutes from `firstMinute`. */
export function invocationsCsv(firstMinute: number, rows: Array<[string, string, string, string, ...number[]]>): string {
  const minutes = rows[0].length - 4;
  const header = ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...Array.from({ length: minutes }, (_, i) => String(firstMinute + i))];
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

export const DURATIONS_HEADER =
  'HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100';
export const APP_MEMORY_HEADER =
  'HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,AverageAllocatedMb_pct99,AverageAllocatedMb_pct100';

/** Splits a CSV file's data rows into fields, as an independent oracle for the readers. */
export function csvRows(text: string): string[][] {
  return text.split('\n').slice(1).filter((line) => line !== '').map((line) => line.split(','));
}
