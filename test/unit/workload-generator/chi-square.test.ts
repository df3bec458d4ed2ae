import { chiSquareSurvival } from './chi-square.js';

describe('chiSquareSurvival (the helper the arrival tests rely on)', () => {
  // Reference values from R: pchisq(x, df, lower.tail = FALSE).
  const cases: { x: number; df: number; want: number }[] = [
    { x: 3.841459, df: 1, want: 0.05 }, // the textbook 5 % critical value
    { x: 18.307038, df: 10, want: 0.05 },
    { x: 29.588298, df: 10, want: 0.001 },
    { x: 10, df: 10, want: 0.4404933 },
    { x: 0.5, df: 4, want: 0.973501 },
  ];
  it.each(cases)('P(χ²($df) ≥ $x) = $want', ({ x, df, want }) => {
    expect(chiSquareSurvival(x, df)).toBeCloseTo(want, 5);
  });
});
