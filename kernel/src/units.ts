/**
 * Parsing of flag values. Every failure is an InputError that names the flag and shows what is
 * allowed, so the CLI prints one line and exits 2.
 */
import { InputError } from './input-error.js';

const DURATION_UNITS_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** `250ms`, `30s`, `5m`, `1.5h`, or a bare number of seconds → seconds. */
export function parseDurationSeconds(flag: string, text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m) throw new InputError(`${flag}: "${text}" is not a duration; use a number of seconds or e.g. 250ms, 30s, 5m, 1h`);
  const seconds = Number(m[1]) * DURATION_UNITS_SECONDS[m[2] ?? 's'];
  if (!(seconds > 0)) throw new InputError(`${flag}: duration must be > 0, got "${text}"`);
  return seconds;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1e6,
  mb: 1e6,
  ki: 1024,
  kib: 1024,
  mi: 1048576,
  mib: 1048576,
};

/** Byte sizes: `512`, `4k`/`4kb` (×1000), `4KiB`/`4ki` (×1024), `1m`, `1MiB`; up to 64 MiB. */
export function parseSizeBytes(flag: string, text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes > 64 * 1048576) throw new InputError(`${flag}: ${text} is larger than the 64MiB limit`);
  return bytes;
}

/** A finite number > 0. */
export function parsePositiveNumber(flag: string, text: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v <= 0) {
    throw new InputError(`${flag}: must be a number > 0, got "${text}"`);
  }
  return v;
}

/** An integer ≥ min. */
export function parseInteger(flag: string, text: string, min: number): number {
  const v = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(v) || v < min) {
    throw new InputError(`${flag}: must be an integer >= ${min}, got "${text}"`);
  }
  return v;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  throw new InputError(`${flag}: must be one of ${allowed.join(', ')}, got "${text}"`);
}
