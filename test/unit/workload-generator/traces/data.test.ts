/** The trace copies in traces/ must stay byte-for-byte what PROVENANCE.md says they are. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRACES } from './fixtures.js';

/** Rows of the PROVENANCE tables: a `file` cell and a 64-hex sha256 cell. */
function listedHashes(provenance: string, folderOf: (file: string) => string): Array<[string, string]> {
  const rows: Array<[string, string]> = [];
  let section = '';
  for (const line of readFileSync(join(TRACES, provenance), 'utf8').split('\n')) {
    section = /^## `([^`]+)`/.exec(line)?.[1] ?? section;
    const cells = line.split('|').map((c) => c.trim());
    const file = /^`([^`]+)`$/.exec(cells[1] ?? '')?.[1];
    const sha = cells.map((c) => /^`([0-9a-f]{64})`$/.exec(c)?.[1]).find(Boolean);
    if (file && sha) rows.push([join(folderOf(section), file), sha]);
  }
  return rows;
}

const listed = [
  // Azure slices: the `## \`folder/\`` heading above each table says where its files are.
  ...listedHashes('PROVENANCE.md', (section) => (section.endsWith('/') ? section : section.replace(/[^/]+$/, ''))),
  ...listedHashes('fscode/PROVENANCE.md', () => 'fscode'),
];

describe('traces/ copies match their PROVENANCE.md', () => {
  it('lists all six data files', () => {
    expect(listed.map(([file]) => file).sort()).toEqual([
      'azure2019/invitro_sample250_min480-959/durations.csv',
      'azure2019/invitro_sample250_min480-959/invocations.csv',
      'azure2019/invitro_sample250_min480-959/memory.csv',
      'azure2021/Azure2021_200.csv',
      'fscode/request_count_boosted.json',
      'fscode/request_count_raw.json',
    ]);
  });

  it.each(listed)('%s has sha256 %s', (file, sha) => {
    expect(createHash('sha256').update(readFileSync(join(TRACES, file))).digest('hex')).toBe(sha);
  });
});
