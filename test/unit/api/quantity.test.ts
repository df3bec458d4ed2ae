import { parseQuantity } from '../../../operator/src/api/quantity.js';
import { InputError } from '#kernel/input-error.js';

describe('parseQuantity', () => {
  const cases: { q: string | number; want: number }[] = [
    { q: '100m', want: 0.1 }, // millicores
    { q: '0.5', want: 0.5 },
    { q: 2, want: 2 }, // int-or-string: a bare number
    { q: '128Mi', want: 128 * 1024 * 1024 },
    { q: '1G', want: 1e9 },
    { q: '1e3', want: 1000 },
    { q: '.5Ki', want: 512 },
    { q: '250u', want: 0.00025 },
  ];
  it.each(cases)('$q → $want', ({ q, want }) => {
    expect(parseQuantity(q)).toBeCloseTo(want, 12);
  });

  it.each(['', '1 Gi', 'ten', '1.2.3', 'Mi'])('rejects %j naming the field', (q) => {
    expect(() => parseQuantity(q, 'spec.resources.requests.cpu')).toThrow(InputError);
    expect(() => parseQuantity(q, 'spec.resources.requests.cpu')).toThrow(/^spec\.resources\.requests\.cpu: invalid quantity/);
  });
});
