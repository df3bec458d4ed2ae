/** Server-side printing: ages like the API server's HumanDuration, JSONPath for printer columns. */
import { humanDuration, jsonPath, printerColumnConvertor, toTable } from '../../../operator/src/sandbox/kube-table.js';

describe('humanDuration', () => {
  const s = 1000;
  const cases: { ms: number; want: string }[] = [
    { ms: -5 * s, want: '<invalid>' },
    { ms: -1 * s, want: '0s' }, // up to 1 s of clock skew reads as now
    { ms: 0, want: '0s' },
    { ms: 119 * s, want: '119s' },
    { ms: 120 * s, want: '2m' },
    { ms: 125 * s, want: '2m5s' },
    { ms: 10 * 60 * s, want: '10m' },
    { ms: 179 * 60 * s, want: '179m' },
    { ms: 3 * 3600 * s, want: '3h' },
    { ms: (3 * 3600 + 30 * 60) * s, want: '3h30m' },
    { ms: 8 * 3600 * s, want: '8h' },
    { ms: 47 * 3600 * s, want: '47h' },
    { ms: 50 * 3600 * s, want: '2d2h' },
    { ms: 10 * 86400 * s, want: '10d' },
    { ms: 800 * 86400 * s, want: '2y70d' },
    { ms: 9 * 365 * 86400 * s, want: '9y' },
  ];
  it.each(cases)('$ms ms → $want', ({ ms, want }) => {
    expect(humanDuration(ms)).toBe(want);
  });
});

describe('jsonPath', () => {
  const obj = {
    status: {
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'MetricsAvailable', status: 'False' },
      ],
      list: [5, 6],
    },
  };
  const cases: { path: string; want: unknown }[] = [
    { path: '.status.list[1]', want: 6 },
    { path: '.status.conditions[?(@.type=="MetricsAvailable")].status', want: 'False' },
    { path: '.status.missing.deeper', want: undefined },
    { path: '.status.conditions[?(@.type=="Nope")].status', want: undefined },
  ];
  it.each(cases)('$path', ({ path, want }) => {
    expect(jsonPath(obj, path)).toEqual(want);
  });
});

describe('printer column tables', () => {
  it('puts Name first, prints dates as ages and missing values as null', () => {
    const conv = printerColumnConvertor([
      { name: 'Replicas', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    const now = Date.parse('2025-01-01T01:00:00Z');
    const table = toTable(conv, [{ metadata: { name: 'a', creationTimestamp: '2025-01-01T00:00:00Z' } }], { now, resourceVersion: '7' });
    expect(table.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Replicas', 'Age']);
    expect(table.rows[0].cells).toEqual(['a', null, '60m']);
    expect(table.rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { name: 'a', creationTimestamp: '2025-01-01T00:00:00Z' },
    });
    expect(table.metadata).toEqual({ resourceVersion: '7' });
  });
});
