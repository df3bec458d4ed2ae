/** The CEL subset: what it evaluates, and what it refuses to compile (rather than misjudge). */
import { compileCel, evaluateCel, CelError } from '../../../operator/src/api/cel.js';
import { functionAutoscalerCrd } from '../../../operator/src/api/crd.js';

const self = { minReplicas: 2, maxReplicas: 5, name: 'figlet', tags: ['a', 'b'], m: { k: 'v' }, zero: 0, f: 1.5 };

describe('evaluateCel', () => {
  const cases: { rule: string; want: unknown }[] = [
    { rule: 'self.minReplicas <= self.maxReplicas', want: true }, // the CRD's rule
    { rule: 'self.minReplicas > self.maxReplicas', want: false },
    { rule: 'self.maxReplicas - self.minReplicas == 3', want: true },
    { rule: 'self.maxReplicas / self.minReplicas', want: 2 }, // int division truncates
    { rule: 'self.maxReplicas % 3', want: 2 },
    { rule: 'self.f * 2 == 3.0', want: true },
    { rule: '-self.minReplicas < 0', want: true },
    { rule: '!(self.minReplicas == 2)', want: false },
    { rule: 'has(self.minReplicas) && !has(self.missing)', want: true },
    { rule: 'self.name.startsWith("fig") && self.name.endsWith(\'let\')', want: true },
    { rule: 'self.name.matches("^[a-z]+$") && self.name.contains("gl")', want: true },
    { rule: 'size(self.name) == 6 && self.tags.size() == 2 && size(self.m) == 1', want: true },
    { rule: '"a" in self.tags && !("c" in self.tags) && "k" in self.m', want: true },
    { rule: 'self.tags[1] == "b" && self.m["k"] == "v"', want: true },
    { rule: 'self.minReplicas == 2 ? "two" : "other"', want: 'two' },
    { rule: '[1, 2] + [3] == [1, 2, 3]', want: true },
    { rule: '"a" < "b" && "x" + "y" == "xy"', want: true },
    // || and && absorb an error on one side when the other side decides (CEL's commutative logic).
    { rule: 'self.missing > 1 || true', want: true },
    { rule: 'false && self.missing > 1', want: false },
    { rule: '1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2', want: true },
    { rule: 'null == null', want: true },
  ];
  it.each(cases)('$rule → $want', ({ rule, want }) => {
    expect(evaluateCel(compileCel(rule), { self })).toEqual(want);
  });

  const errors: { rule: string; want: string }[] = [
    { rule: 'self.minReplicas <= self.absent', want: 'no such key: absent' },
    { rule: 'self.name < 3', want: 'no such overload: string < int' },
    { rule: 'self.maxReplicas / self.zero', want: 'division by zero' },
    { rule: 'self.tags[5]', want: 'index out of bounds: 5' },
    { rule: 'self.missing > 1 || false', want: 'no such key: missing' },
  ];
  it.each(errors)('$rule fails: $want', ({ rule, want }) => {
    expect(() => evaluateCel(compileCel(rule), { self })).toThrow(new CelError(want));
  });

  it('binds oldSelf for transition rules', () => {
    expect(evaluateCel(compileCel('self >= oldSelf'), { self: 3, oldSelf: 2 })).toBe(true);
  });
});

describe('compileCel refuses what the subset does not implement', () => {
  const cases: { rule: string; want: string }[] = [
    { rule: 'self.tags.all(t, t != "")', want: "undeclared reference to 'all' (not in this CEL subset)" },
    // Kubernetes' CEL libraries (quantity, url, ...) are not in the subset.
    { rule: 'quantity(self.cpu).isGreaterThan(quantity("1"))', want: "undeclared reference to 'isGreaterThan' (not in this CEL subset)" },
    { rule: 'self.name.size2()', want: "undeclared reference to 'size2' (not in this CEL subset)" },
    { rule: 'other.x == 1', want: "undeclared reference to 'other'" },
    { rule: 'self.a <= ', want: 'Syntax error: unexpected end of expression' },
    { rule: 'self.a == "open', want: 'Syntax error: unterminated string at 10' },
    { rule: 'has(self)', want: 'invalid argument to has() macro' },
  ];
  it.each(cases)('$rule', ({ rule, want }) => {
    expect(() => compileCel(rule)).toThrow(new CelError(want));
  });

  it('compiles every rule of the shipped CRD', () => {
    // functionAutoscalerCrd() compiles each x-kubernetes-validations rule and throws on the first it cannot.
    expect(() => functionAutoscalerCrd()).not.toThrow();
  });
});
