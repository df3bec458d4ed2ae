import { InputError } from '#kernel/input-error.js';
import { parseChoice, parseDurationSeconds, parseInteger, parsePositiveNumber, parseSizeBytes } from '#kernel/units.js';

describe('parseDurationSeconds', () => {
  const ok: [string, number][] = [
    ['30', 30], // bare number: seconds
    ['250ms', 0.25],
    ['1.5s', 1.5],
    ['5m', 300],
    ['2h', 7200],
    ['.5s', 0.5],
  ];
  it.each(ok)('%s → %d s', (text, want) => expect(parseDurationSeconds('--timeout', text)).toBe(want));

  const bad = ['', 'abc', '5d', '-1s', '0', '1 2'];
  it.each(bad)('"%s" is an InputError naming the flag', (text) => {
    expect(() => parseDurationSeconds('--timeout', text)).toThrow(InputError);
    expect(() => parseDurationSeconds('--timeout', text)).toThrow(/^--timeout: /);
  });
});

describe('parseSizeBytes', () => {
  const cases: [string, number | undefined][] = [
    ['0', 0],
    ['512', 512],
    ['4k', 4000], // SI: k = 1000
    ['4KiB', 4096], // binary: Ki = 1024
    ['1MiB', 1048576],
    ['1.5kb', 1500],
    ['body.json', undefined], // not a size: the caller treats it as a file
    ['12q', undefined],
  ];
  it.each(cases)('%s → %s', (text, want) => expect(parseSizeBytes('--payload', text)).toBe(want));

  it('refuses more than 64 MiB', () => {
    expect(() => parseSizeBytes('--payload', '65MiB')).toThrow(/--payload: 65MiB is larger than the 64MiB limit/);
  });
});

describe('numbers and choices', () => {
  it('parses positive numbers and integers, and names the flag on error', () => {
    expect(parsePositiveNumber('--speedup', '60')).toBe(60);
    expect(parsePositiveNumber('--speedup', '0.5')).toBe(0.5);
    expect(parseInteger('--max-inflight', '64', 1)).toBe(64);
    expect(() => parsePositiveNumber('--speedup', '0')).toThrow('--speedup: must be a number > 0, got "0"');
    expect(() => parsePositiveNumber('--speedup', 'fast')).toThrow(InputError);
    expect(() => parseInteger('--max-inflight', '0', 1)).toThrow('--max-inflight: must be an integer >= 1, got "0"');
    expect(() => parseInteger('--max-inflight', '2.5', 1)).toThrow(InputError);
    expect(parseChoice('--arrivals', 'exact', ['poisson', 'exact'])).toBe('exact');
    expect(() => parseChoice('--arrivals', 'uniform', ['poisson', 'exact'])).toThrow(
      '--arrivals: must be one of poisson, exact, got "uniform"',
    );
  });
});
