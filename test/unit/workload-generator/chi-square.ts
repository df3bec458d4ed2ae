/**
 * Pearson's chi-square goodness-of-fit for the arrival tests: observed counts of outcomes against
 * a probability mass function, with tail cells merged until every expected count is ≥ 5.
 */

export interface ChiSquareResult {
  statistic: number;
  degreesOfFreedom: number;
  /** P(X ≥ statistic) for X ~ χ²(df). */
  pValue: number;
  cells: { from: number; to: number; observed: number; expected: number }[];
}

/** Goodness of fit of integer samples to a pmf over 0, 1, 2, … (the last cell takes the tail). */
export function chiSquareFit(samples: readonly number[], pmf: (k: number) => number, fittedParameters = 0): ChiSquareResult {
  const n = samples.length;
  const maxK = Math.max(...samples) + 1;
  const raw: { from: number; to: number; observed: number; expected: number }[] = [];
  let cumulative = 0;
  for (let k = 0; k <= maxK; k++) {
    const p = pmf(k);
    cumulative += p;
    raw.push({ from: k, to: k, observed: samples.filter((s) => s === k).length, expected: n * p });
  }
  raw[raw.length - 1].expected += n * Math.max(0, 1 - cumulative); // upper tail
  raw[raw.length - 1].to = Infinity;
  // Merge from the left and from the right until each cell expects at least 5.
  const cells: typeof raw = [];
  for (const c of raw) {
    const last = cells[cells.length - 1];
    if (last && last.expected < 5) {
      last.to = c.to;
      last.observed += c.observed;
      last.expected += c.expected;
    } else {
      cells.push({ ...c });
    }
  }
  while (cells.length > 1 && cells[cells.length - 1].expected < 5) {
    const tail = cells.pop()!;
    const last = cells[cells.length - 1];
    last.to = tail.to;
    last.observed += tail.observed;
    last.expected += tail.expected;
  }
  const statistic = cells.reduce((s, c) => s + (c.observed - c.expected) ** 2 / c.expected, 0);
  const degreesOfFreedom = cells.length - 1 - fittedParameters;
  return { statistic, degreesOfFreedom, pValue: chiSquareSurvival(statistic, degreesOfFreedom), cells };
}

/** Goodness of fit of observed cell counts to expected ones (same total). */
export function chiSquareCells(observed: readonly number[], expected: readonly number[]): { statistic: number; pValue: number } {
  const statistic = observed.reduce((s, o, i) => s + (o - expected[i]) ** 2 / expected[i], 0);
  return { statistic, pValue: chiSquareSurvival(statistic, observed.length - 1) };
}

export function poissonPmf(lambda: number): (k: number) => number {
  return (k) => {
    let logP = -lambda + k * Math.log(lambda);
    for (let i = 2; i <= k; i++) logP -= Math.log(i);
    return Math.exp(logP);
  };
}

/** Q(df/2, x/2): the regularized upper incomplete gamma function (Numerical Recipes 6.2). */
export function chiSquareSurvival(x: number, df: number): number {
  const a = df / 2;
  const z = x / 2;
  if (z <= 0) return 1;
  const lnGammaA = lnGamma(a);
  if (z < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= z / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-z + a * Math.log(z) - lnGammaA);
  }
  let b = z + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(-z + a * Math.log(z) - lnGammaA) * h;
}

/** Lanczos approximation of ln Γ(x). */
function lnGamma(x: number): number {
  const g = [76.18009172947146, -86.50532032941678, 24.01409824083091, -1.231739572450155, 0.001208650973866179, -0.5395239384953e-5];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const c of g) ser += c / ++y;
  return -tmp + Math.log((2.5066282746310002 * ser) / x);
}
