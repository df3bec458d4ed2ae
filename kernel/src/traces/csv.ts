/**
 * Line-by-line CSV reading with error locations, shared by the Azure readers.
 *
 * The Azure files never quote fields, so splitting on commas is exact; a quote character in a
 * field is simply a malformed value and is reported as such. Lines are read from a stream, so the
 * full 2019 day file (≈150 MB) never sits in memory as one string.
 *
 * Error locations are `file:line:column` with a 1-based line and a 1-based *character* column
 * (what editors and compilers use, so `file:line:col` jumps to the spot); messages also name the
 * CSV column by its header label.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../input-error.js';

export interface CsvLine {
  /** 1-based line number in the file. */
  lineNumber: number;
  text: string;
  fields: string[];
}

/** Yields the non-blank lines of a file, split on commas. Handles CRLF and a UTF-8 BOM. */
export async function* readCsvLines(file: string): AsyncGenerator<CsvLine> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const raw of lines) {
    lineNumber += 1;
    const text = lineNumber === 1 && raw.startsWith('\uFEFF') ? raw.slice(1) : raw;
    // Blank lines carry no data; a trailing one is common and harmless.
    if (text.trim() === '') continue;
    yield { lineNumber, text, fields: text.split(',') };
  }
}

/** 1-based character column where field `index` starts (or the end of the line, past the last field). */
export function columnOf(line: CsvLine, index: number): number {
  let column = 1;
  for (let i = 0; i < index && i < line.fields.length; i++) column += line.fields[i].length + 1;
  return Math.min(column, line.text.length + 1);
}

/** Quotes a value for a one-line message, shortened so a corrupt line cannot flood the terminal. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

export function errorAt(file: string, lineNumber: number, column: number, message: string): InputError {
  return new InputError(`${file}:${lineNumber}:${column}: ${message}`);
}

/** `file:line:col: expected <what> in column "<header>", got "<value>"`. */
/** Where a CSV field is: the file, its line and the header naming the columns. */
export interface CsvRow {
  file: string;
  line: CsvLine;
  header: readonly string[];
}

export function fieldError({ file, line, header }: CsvRow, index: number, expected: string): InputError {
  return errorAt(file, line.lineNumber, columnOf(line, index),
    `expected ${expected} in column ${quote(header[index] ?? String(index + 1))}, got ${quote(line.fields[index])}`);
}

/** Every data row must have as many fields as the header: a ragged row means a cut or merged line. */
export function checkWidth(file: string, line: CsvLine, header: readonly string[]): void {
  if (line.fields.length === header.length) return;
  const column = line.fields.length < header.length ? line.text.length + 1 : columnOf(line, header.length);
  throw errorAt(file, line.lineNumber, column,
    `expected ${header.length} columns as in the header, got ${line.fields.length}`);
}

function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** A non-negative integer written as plain digits, or undefined. Hot path of the 2019 reader. */
export function parseCount(text: string): number | undefined {
  // Digits beyond 2^53 are not a count anyone recorded (and lose their value as a number).
  return isDigits(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
}

const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A finite non-negative decimal (`4810`, `4810.0`, `0.078`, `1e-05`), or undefined. */
export function parseNonNegative(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Maps header labels to their positions; a missing required label is an error on line 1. */
export function headerIndex(file: string, header: readonly string[], required: readonly string[], what: string): Map<string, number> {
  const index = new Map<string, number>();
  header.forEach((name, i) => {
    if (index.has(name)) throw errorAt(file, 1, columnOf({ lineNumber: 1, text: header.join(','), fields: [...header] }, i), `duplicate column ${quote(name)} in the header`);
    index.set(name, i);
  });
  for (const name of required) {
    if (!index.has(name)) throw errorAt(file, 1, 1, `missing column ${quote(name)} in the header of ${what} (expected columns ${required.join(',')})`);
  }
  return index;
}
