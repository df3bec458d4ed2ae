/** Label and field selectors as the API server parses them. */
import { parseFieldSelector, parseLabelSelector } from '../../../operator/src/sandbox/kube-selectors.js';

const obj = (
  labels: Record<string, string>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> & { metadata: { name: string; namespace: string; labels: Record<string, string> } } => ({
  metadata: { name: 'figlet', namespace: 'openfaas', labels },
  ...extra,
});

describe('parseLabelSelector', () => {
  const labels = { app: 'figlet', tier: 'fn', 'faas.dev/weight': '3' };
  const cases: { selector: string; want: boolean }[] = [
    { selector: '', want: true }, // empty selects everything
    { selector: 'app=figlet', want: true },
    { selector: 'app==figlet', want: true },
    { selector: 'app!=figlet', want: false },
    { selector: 'app=figlet,tier=db', want: false }, // all requirements must hold
    { selector: 'tier in (fn, db)', want: true },
    { selector: 'tier notin (fn)', want: false },
    { selector: 'absent notin (x)', want: true }, // notin holds when the label is missing
    { selector: 'app', want: true },
    { selector: '!app', want: false },
    { selector: '!absent', want: true },
    { selector: 'faas.dev/weight>2', want: true },
    { selector: 'faas.dev/weight<2', want: false },
    { selector: 'absent!=x', want: true }, // != holds when the label is missing
  ];
  it.each(cases)('$selector → $want', ({ selector, want }) => {
    expect(parseLabelSelector(selector)(obj(labels))).toBe(want);
  });

  it('rejects what it cannot parse with 400', () => {
    expect(() => parseLabelSelector('app in figlet')).toThrow(
      expect.objectContaining({ code: 400, message: "unable to parse requirement: found 'app in figlet', expected: identifier" }),
    );
  });
});

describe('parseFieldSelector', () => {
  const event = obj({}, { involvedObject: { kind: 'FunctionAutoscaler', name: 'figlet' }, reason: 'Scaled' });
  const cases: { selector: string; want: boolean }[] = [
    { selector: 'metadata.name=figlet', want: true },
    { selector: 'metadata.namespace!=openfaas', want: false },
    { selector: 'involvedObject.name=figlet,reason=Scaled', want: true },
    { selector: 'involvedObject.uid=', want: true }, // a missing field compares as ""
  ];
  it.each(cases)('$selector → $want', ({ selector, want }) => {
    expect(parseFieldSelector(selector, ['involvedObject.name', 'involvedObject.uid', 'reason'])(event)).toBe(want);
  });

  it('names the field it does not support', () => {
    expect(() => parseFieldSelector('spec.replicas=1', [])).toThrow(
      expect.objectContaining({ code: 400, message: 'field label not supported: spec.replicas' }),
    );
  });
});
