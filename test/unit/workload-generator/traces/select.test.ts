import { InputError } from '#kernel/input-error.js';
import {
  describeFunction, loadTrace, parseFunctionSelector, rankFunctions, selectFunction, selectFunctions, totalInvocations,
  type FunctionSelector, type Trace, type TraceFunction,
} from '#kernel/traces/index.js';
import { FILE_2021, SLICE_2019 } from './fixtures.js';

const FORMS = 'a function hash or id, a unique prefix of at least 6 characters, row:N or rank:N (rank:1 is the busiest)';

/** A hand-built trace: ids chosen so that prefixes collide, totals so that ranks tie. */
function handTrace(): Trace {
  const fn = (row: number, id: string, counts: number[], trigger?: string): TraceFunction => ({ id, row, counts, trigger, profile: {} });
  return {
    format: 'synthetic', source: 'hand', binSeconds: 60, startOffsetSeconds: 0,
    functions: [
      fn(1, 'abcdef0123', [1, 1]),
      fn(2, 'abcdef4567', [5, 0], 'http'),
      fn(3, 'ffff000011', [0, 2]), // ties with row 1 on 2 invocations: row 1 ranks first
      fn(4, 'abc', [9, 9]),
    ],
  };
}

describe('parseFunctionSelector', () => {
  it.each([
    // text, selector
    ['rank:1', { kind: 'rank', n: 1 }],
    ['row:250', { kind: 'row', n: 250 }],
    [' 1fa06535 ', { kind: 'id', id: '1fa06535' }],
    ['app1/func2', { kind: 'id', id: 'app1/func2' }],
  ] as Array<[string, FunctionSelector]>)('%j → %j', (text, want) => {
    expect(parseFunctionSelector(text)).toEqual(want);
  });

  it.each([
    // text, message
    ['rank:0', '--function "rank:0": N in rank:N must be a positive integer (counting from 1)'],
    ['row:-2', '--function "row:-2": N in row:N must be a positive integer (counting from 1)'],
    ['rank:1.5', '--function "rank:1.5": N in rank:N must be a positive integer (counting from 1)'],
    ['rank:', '--function "rank:": N in rank:N must be a positive integer (counting from 1)'],
    ['top:3', `--function "top:3": unknown selector "top:"; expected ${FORMS}`],
    ['', `--function "": expected ${FORMS}`],
    ['a,b', `--function "a,b": expected ${FORMS}`],
  ])('%j is refused', (text, want) => {
    expect(() => parseFunctionSelector(text)).toThrow(new InputError(want));
  });
});

describe('selectFunction', () => {
  it.each([
    // selector, row of the function it picks
    ['rank:1', 4],
    ['rank:2', 2],
    ['rank:3', 1], // ties with row 3: the earlier row wins
    ['rank:4', 3],
    ['row:3', 3],
    ['abc', 4], // exact id, even though it is also a prefix of others and shorter than 6
    ['abcdef4', 2], // unique prefix
    ['ffff00', 3], // unique prefix of exactly 6 characters
  ])('%s picks row %d', (text, row) => {
    expect(selectFunction(handTrace(), parseFunctionSelector(text)).row).toBe(row);
  });

  it.each([
    // selector, message: each says how many functions there are or what is allowed
    ['rank:5', 'rank:5 is out of range: hand has 4 functions (rank:1 … rank:4)'],
    ['row:9', 'row:9 is out of range: hand has 4 functions (row:1 … row:4)'],
    ['abcdef', '"abcdef" is ambiguous: 2 function ids start with it (row:1 abcdef0123, row:2 abcdef4567); give more characters'],
    ['ffff', `no function with id "ffff" in hand, and a prefix needs at least 6 characters; expected ${FORMS}`],
    ['999999', `no function "999999" in hand (hand has 4 functions); expected ${FORMS}`],
  ])('%s is refused', (text, want) => {
    expect(() => selectFunction(handTrace(), parseFunctionSelector(text))).toThrow(new InputError(want));
  });
});

describe('selectFunctions', () => {
  it.each([
    // text, rows in the order returned
    ['all', [1, 2, 3, 4]],
    ['top:2', [4, 2]],
    ['top:4', [4, 2, 1, 3]],
    ['row:3, rank:1,abcdef4', [3, 4, 2]],
  ])('%j → rows %j', (text, rows) => {
    expect(selectFunctions(handTrace(), text).map((fn) => fn.row)).toEqual(rows);
  });

  it.each([
    ['top:5', '--functions top:5 is out of range: hand has 4 functions'],
    ['top:0', '--functions "top:0": N in top:N must be a positive integer'],
    ['rank:1,,row:2', `--functions "rank:1,,row:2": empty item in the list; expected "all", "top:N" or a comma-separated list of selectors (${FORMS})`],
    ['rank:1,abc', '--functions: "rank:1" and "abc" select the same function abc'],
    ['row:1,top:2', `--functions "top:2": unknown selector "top:"; expected ${FORMS}`],
  ])('%j is refused', (text, want) => {
    expect(() => selectFunctions(handTrace(), text)).toThrow(new InputError(want));
  });
});

describe('labels and totals on real traces', () => {
  let trace2019: Trace;
  let trace2021: Trace;
  beforeAll(async () => {
    [trace2019, trace2021] = await Promise.all([loadTrace({ trace: SLICE_2019 }), loadTrace({ trace: FILE_2021 })]);
  });

  it('rank:N of the 2019 slice is sorted by total invocations, and loadTrace sets the same ranks', () => {
    const ranked = rankFunctions(trace2019);
    for (let i = 1; i < ranked.length; i++) {
      const [a, b] = [ranked[i - 1], ranked[i]];
      expect(totalInvocations(a) > totalInvocations(b) || (totalInvocations(a) === totalInvocations(b) && a.row < b.row)).toBe(true);
    }
    expect(ranked.map((fn) => fn.rank)).toEqual(ranked.map((_, i) => i + 1));
    expect(describeFunction(selectFunctions(trace2019, 'top:3')[2])).toMatch(/^rank:3 [0-9a-f]{8} \((queue|timer|http|event|storage|orchestration|others)\)$/);
  });

  it('labels 2021 functions app/func with both hashes shortened, and hand-built ones by row', () => {
    const fn = selectFunction(trace2021, parseFunctionSelector('row:1'));
    expect(describeFunction(fn)).toBe(`rank:${fn.rank} ${fn.id.split('/').map((h) => h.slice(0, 8)).join('/')}`);
    expect(describeFunction(handTrace().functions[1])).toBe('row:2 abcdef4567 (http)');
    // A 2021 function is selected by its full app/func id.
    expect(selectFunction(trace2021, parseFunctionSelector(fn.id))).toBe(fn);
  });
});
