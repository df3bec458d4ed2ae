/**
 * Label and field selectors of list and watch requests (`?labelSelector=app=figlet,tier!=db`,
 * `?fieldSelector=metadata.name=figlet`), with the API server's semantics: a field selector may
 * only name the fields the resource supports (400 otherwise); a missing field compares as "".
 */
import { badRequest } from './kube-errors.js';

export type Selector = (obj: { metadata?: { labels?: Record<string, string> } } & Record<string, unknown>) => boolean;

const everything: Selector = () => true;

/** Splits on commas outside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

type LabelTest = (labels: Record<string, string>) => boolean;

function labelRequirement(term: string): LabelTest {
  let m = /^!\s*([\w./-]+)$/.exec(term);
  if (m) {
    const key = m[1];
    return (l) => !(key in l);
  }
  m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (m) {
    const [, key, op, list] = m;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in' ? (l) => key in l && values.has(l[key]) : (l) => !(key in l) || !values.has(l[key]);
  }
  m = /^([\w./-]+)\s*(==|=|!=|>|<)\s*([\w./-]*)$/.exec(term);
  if (m) {
    const [, key, op, value] = m;
    switch (op) {
      case '!=':
        return (l) => l[key] !== value;
      case '>':
        return (l) => key in l && Number(l[key]) > Number(value);
      case '<':
        return (l) => key in l && Number(l[key]) < Number(value);
      default:
        return (l) => l[key] === value;
    }
  }
  m = /^([\w./-]+)$/.exec(term);
  if (m) {
    const key = m[1];
    return (l) => key in l;
  }
  throw badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
}

export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return everything;
  const tests = splitTerms(text).map(labelRequirement);
  return (obj) => {
    const labels = obj.metadata?.labels ?? {};
    return tests.every((t) => t(labels));
  };
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  let node: unknown = obj;
  for (const part of path.split('.')) {
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
  }
  return node === undefined || node === null ? '' : String(node);
}

/** `supported` lists the fields beyond metadata.name and metadata.namespace. */
export function parseFieldSelector(text: string | null | undefined, supported: readonly string[]): Selector {
  if (!text) return everything;
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...supported]);
  const tests = splitTerms(text).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, op, value] = m;
    if (!allowed.has(field)) throw badRequest(`field label not supported: ${field}`);
    return (obj: Record<string, unknown>): boolean => (fieldValue(obj, field) === value) === (op !== '!=');
  });
  return (obj) => tests.every((t) => t(obj));
}
