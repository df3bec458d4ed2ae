import { InputError } from '#kernel/input-error.js';
import { defaultFunctionName, resolveTargets } from '../../../workload-generator/src/function-map.js';

const H1 = '0f18b823c1f76b661aa4cffa52b5af68bda335d798177946ba0679ac49418b85';
const H2 = 'c28abc6ce977539b6232a523fdf794de013111eedf984ced25f090a8d8044485';
const H3 = 'c28abc6c00000000000000000000000000000000000000000000000000000000'; // same 8-digit prefix as H2

/** A stand-in for the trace selectors: row:N picks the N-th id, anything else must be an id. */
function resolver(ids: string[]): (key: string) => string {
  return (key) => {
    const row = /^row:(\d+)$/.exec(key);
    if (row) return ids[Number(row[1]) - 1];
    if (!ids.includes(key)) throw new InputError(`no function ${key}`);
    return key;
  };
}

describe('defaultFunctionName', () => {
  const cases: [string, string][] = [
    [H1, 'fn-0f18b823'], // Azure 2019 hash: first 8 hex digits
    [`${H1}/${H2}`, 'fn-0f18b823-c28abc6c'], // Azure 2021 app/func
    ['request_count_raw', 'fn-request-count-raw'], // JSON file base name
    ['Weird Name!!', 'fn-weird-name'],
  ];
  it.each(cases)('%s → %s', (id, want) => expect(defaultFunctionName(id)).toBe(want));
});

describe('resolveTargets', () => {
  const ids = [H1, H2];
  const cases: { name: string; map?: string; want: string[] }[] = [
    { name: 'no --map: default names', want: ['fn-0f18b823', 'fn-c28abc6c'] },
    { name: 'by hash', map: `${H2}=figlet`, want: ['fn-0f18b823', 'figlet'] },
    { name: 'by selector', map: 'row:1=env', want: ['env', 'fn-c28abc6c'] },
    { name: 'wildcard for the rest', map: 'row:1=env,*=sleep', want: ['env', 'sleep'] },
    { name: 'name.namespace', map: '*=figlet.openfaas-fn', want: ['figlet.openfaas-fn', 'figlet.openfaas-fn'] },
    { name: 'spaces around entries', map: ' row:2 = figlet , ', want: ['fn-0f18b823', 'figlet'] },
  ];
  it.each(cases)('$name', ({ map, want }) => {
    expect(resolveTargets(ids, map, resolver(ids)).map((t) => t.openfaasName)).toEqual(want);
  });

  const errors: { name: string; ids?: string[]; map: string; want: RegExp }[] = [
    { name: 'no =', map: 'figlet', want: /--map: "figlet" is not traceFn=openfaasFn/ },
    { name: 'empty name', map: 'row:1=', want: /is not traceFn=openfaasFn/ },
    { name: 'upper case name', map: 'row:1=Figlet', want: /"Figlet" is not an OpenFaaS function name/ },
    { name: 'unknown function', map: 'deadbeefdeadbeef=x', want: /no function deadbeefdeadbeef/ },
    { name: 'mapped twice', map: `row:1=a,${H1}=b`, want: /is mapped twice/ },
    { name: 'not selected', ids: [H1], map: `${H2}=x`, want: /is not selected by --function/ },
  ];
  it.each(errors)('$name → InputError', ({ ids: selected, map, want }) => {
    const sel = selected ?? ids;
    expect(() => resolveTargets(sel, map, resolver([H1, H2]))).toThrow(want);
  });

  it('refuses two functions sharing a default name, but allows it by explicit mapping', () => {
    expect(() => resolveTargets([H2, H3], undefined, resolver([H2, H3]))).toThrow(/both default to fn-c28abc6c; map them explicitly/);
    expect(resolveTargets([H2, H3], '*=same', resolver([H2, H3])).map((t) => t.openfaasName)).toEqual(['same', 'same']);
  });
});
