/**
 * Picking functions out of a trace: by id or hash (or a unique prefix of one), `row:N` (N-th
 * data row, 1-based) or `rank:N` (N-th busiest by total invocations over the loaded window;
 * ties go to the earlier row, so ranks are stable across runs).
 */
import { InputError } from '../input-error.js';
import type { FunctionSelector, Trace, TraceFunction } from './types.js';

/** Shorter prefixes of 64-hex-digit hashes start to collide in traces of tens of thousands of functions. */
export const MIN_PREFIX_LENGTH = 6;

const SELECTOR_FORMS = `a function hash or id, a unique prefix of at least ${MIN_PREFIX_LENGTH} characters, row:N or rank:N (rank:1 is the busiest)`;

export function totalInvocations(fn: TraceFunction): number {
  let total = 0;
  for (const count of fn.counts) total += count;
  return total;
}

/**
 * Functions busiest first; equal totals keep row order. Uses the ranks `loadTrace` set when every
 * function has one: they were computed on the unscaled counts, where a rate scale such as 0.01
 * cannot reorder ties through floating-point rounding of the sums.
 */
export function rankFunctions(trace: Trace): TraceFunction[] {
  if (trace.functions.every((fn) => fn.rank !== undefined)) {
    return [...trace.functions].sort((a, b) => a.rank! - b.rank!);
  }
  return trace.functions
    .map((fn) => ({ fn, total: totalInvocations(fn) }))
    .sort((a, b) => b.total - a.total || a.fn.row - b.fn.row)
    .map(({ fn }) => fn);
}

export function parseFunctionSelector(text: string, field = '--function'): FunctionSelector {
  const trimmed = text.trim();
  const kind = /^([a-z]+):(.*)$/.exec(trimmed);
  if (kind) {
    const [, name, value] = kind;
    if (name !== 'row' && name !== 'rank') {
      throw new InputError(`${field} ${JSON.stringify(text)}: unknown selector "${name}:"; expected ${SELECTOR_FORMS}`);
    }
    if (!/^[1-9]\d*$/.test(value)) {
      throw new InputError(`${field} ${JSON.stringify(text)}: N in ${name}:N must be a positive integer (counting from 1)`);
    }
    return { kind: name, n: Number(value) };
  }
  if (trimmed === '' || /[\s,]/.test(trimmed)) {
    throw new InputError(`${field} ${JSON.stringify(text)}: expected ${SELECTOR_FORMS}`);
  }
  return { kind: 'id', id: trimmed };
}

export function selectFunction(trace: Trace, selector: FunctionSelector): TraceFunction {
  const count = trace.functions.length;
  const has = `${trace.source} has ${count} function${count === 1 ? '' : 's'}`;
  switch (selector.kind) {
    case 'row': {
      const fn = trace.functions.find((f) => f.row === selector.n);
      if (!fn) throw new InputError(`row:${selector.n} is out of range: ${has} (row:1 … row:${count})`);
      return fn;
    }
    case 'rank': {
      if (selector.n > count) throw new InputError(`rank:${selector.n} is out of range: ${has} (rank:1 … rank:${count})`);
      return rankFunctions(trace)[selector.n - 1];
    }
    case 'id':
      return selectById(trace, selector.id, has);
  }
}

function selectById(trace: Trace, id: string, has: string): TraceFunction {
  const exact = trace.functions.find((fn) => fn.id === id);
  if (exact) return exact;
  if (id.length < MIN_PREFIX_LENGTH) {
    throw new InputError(`no function with id ${JSON.stringify(id)} in ${trace.source}, and a prefix needs at least ${MIN_PREFIX_LENGTH} characters; expected ${SELECTOR_FORMS}`);
  }
  const matches = trace.functions.filter((fn) => fn.id.startsWith(id));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) throw new InputError(`no function ${JSON.stringify(id)} in ${trace.source} (${has}); expected ${SELECTOR_FORMS}`);
  const shown = matches.slice(0, 3).map((fn) => `row:${fn.row} ${fn.id}`).join(', ');
  throw new InputError(`${JSON.stringify(id)} is ambiguous: ${matches.length} function ids start with it (${shown}${matches.length > 3 ? ', …' : ''}); give more characters`);
}

/** `all` (row order), `top:N` (rank order), or a comma-separated list of selectors (in list order). */
export function selectFunctions(trace: Trace, text: string, field = '--functions'): TraceFunction[] {
  const trimmed = text.trim();
  const forms = `expected "all", "top:N" or a comma-separated list of selectors (${SELECTOR_FORMS})`;
  if (trimmed === 'all') return [...trace.functions];
  const top = /^top:(.*)$/.exec(trimmed);
  if (top) {
    if (!/^[1-9]\d*$/.test(top[1])) throw new InputError(`${field} ${JSON.stringify(text)}: N in top:N must be a positive integer`);
    const n = Number(top[1]);
    const count = trace.functions.length;
    if (n > count) throw new InputError(`${field} top:${n} is out of range: ${trace.source} has ${count} function${count === 1 ? '' : 's'}`);
    return rankFunctions(trace).slice(0, n);
  }
  const items = trimmed.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new InputError(`${field} ${JSON.stringify(text)}: empty item in the list; ${forms}`);
  const chosen = new Map<TraceFunction, string>();
  for (const item of items) {
    const fn = selectFunction(trace, parseFunctionSelector(item, field));
    const earlier = chosen.get(fn);
    if (earlier !== undefined) throw new InputError(`${field}: "${earlier}" and "${item}" select the same function ${fn.id}`);
    chosen.set(fn, item);
  }
  return [...chosen.keys()];
}

/** A short label for logs and reports, e.g. `rank:1 1fa06535 (queue)`. */
export function describeFunction(fn: TraceFunction): string {
  const position = fn.rank === undefined ? `row:${fn.row}` : `rank:${fn.rank}`;
  // 64-hex-digit hashes are unreadable in full; 8 digits identify them in practice (as git does).
  const shortId = fn.id.split('/').map((part) => (/^[0-9a-f]{16,}$/i.test(part) ? part.slice(0, 8) : part)).join('/');
  return `${position} ${shortId}${fn.trigger ? ` (${fn.trigger})` : ''}`;
}
