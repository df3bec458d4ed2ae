/**
 * The LSTM-PPO+ paper's workload files (`request_count_raw.json`, `request_count_boosted.json`):
 * one JSON array of non-negative integers, the requests to send in each 30-second bin, for one
 * function. The id is the file's base name.
 *
 * A small scanner instead of JSON.parse: Node 20's JSON.parse errors give no position, and we
 * must name the line and column of a bad value (and reject values JSON allows, like -1 or 2.5).
 */
import { basename, extname } from 'node:path';
import type { TraceFunction } from './types.js';
import { errorAt, quote } from './csv.js';

export const FSCODE_BIN_SECONDS = 30;

export function parseFscodeJson(file: string, text: string): TraceFunction {
  let pos = 0;
  const fail = (at: number, message: string): Error => {
    const before = text.slice(0, at);
    const line = before.split('\n').length;
    return errorAt(file, line, at - before.lastIndexOf('\n'), message);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\r\n\uFEFF'.includes(text[pos])) pos += 1;
  };
  const token = (): string => /^[^\s,\]]*/.exec(text.slice(pos, pos + 41))![0] || text[pos] || '';
  const gotText = (): string => (pos >= text.length ? 'the end of the file' : quote(token()));

  skipSpace();
  if (text[pos] !== '[') throw fail(pos, `expected a JSON array of non-negative integers (requests per ${FSCODE_BIN_SECONDS} s bin), got ${gotText()}`);
  pos += 1;
  const counts: number[] = [];
  skipSpace();
  if (text[pos] === ']') {
    pos += 1;
  } else {
    for (;;) {
      skipSpace();
      const digits = /^\d+/.exec(text.slice(pos, pos + 20))?.[0];
      const next = text[pos + (digits?.length ?? 0)];
      if (digits === undefined || (next !== undefined && /[.eE\d]/.test(next)) || !Number.isSafeInteger(Number(digits))) {
        throw fail(pos, `expected a non-negative integer request count, got ${gotText()}`);
      }
      counts.push(Number(digits));
      pos += digits.length;
      skipSpace();
      if (text[pos] === ',') { pos += 1; continue; }
      if (text[pos] === ']') { pos += 1; break; }
      throw fail(pos, `expected "," or "]" after a count, got ${gotText()}`);
    }
  }
  skipSpace();
  if (pos < text.length) throw fail(pos, `expected the end of the file after the array, got ${gotText()}`);
  if (counts.length === 0) throw fail(0, 'empty trace: the array has no bins');
  return { id: basename(file, extname(file)), row: 1, counts, profile: {} };
}
