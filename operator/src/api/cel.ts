/**
 * A small subset of CEL (the Common Expression Language) — enough for the
 * `x-kubernetes-validations` rules of our CRD, evaluated the way the API server does.
 *
 * Supported: int/double/string/bool/null literals, list literals, `self` and `oldSelf`, field
 * selection (`self.a.b`), indexing (`self.a[0]`, `self.m['k']`), `! - * / % + - < <= > >= == !=
 * in && || ?:`, and the functions `has(self.f)`, `size(x)` / `x.size()`, `x.startsWith(s)`,
 * `x.endsWith(s)`, `x.contains(s)`, `x.matches(re)`.
 * Deviations from CEL, on purpose: numbers are JavaScript numbers (int and double are not told
 * apart, so `1 == 1.0` is true and integer overflow is not detected); no macros besides `has`
 * (no `all`, `exists`, `map`, `filter`), no maps literals, no Kubernetes CEL libraries. A rule
 * outside the subset fails when the CRD is loaded (`compileCel` throws), never silently at run time.
 * See docs/adr/001-crd-is-the-source-of-truth.md.
 */

export type CelNode =
  | { kind: 'lit'; value: unknown }
  | { kind: 'ident'; name: string }
  | { kind: 'select'; target: CelNode; field: string }
  | { kind: 'index'; target: CelNode; index: CelNode }
  | { kind: 'call'; fn: string; target?: CelNode; args: CelNode[] }
  | { kind: 'list'; items: CelNode[] }
  | { kind: 'unary'; op: '!' | '-'; arg: CelNode }
  | { kind: 'binary'; op: string; left: CelNode; right: CelNode }
  | { kind: 'cond'; test: CelNode; then: CelNode; else: CelNode };

/** A compile-time or evaluation error, worded like cel-go's (e.g. "no such key: maxReplicas"). */
export class CelError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CelError';
  }
}

type Token = { kind: 'num' | 'str' | 'ident' | 'op'; text: string; value?: unknown };

const OPERATORS = ['&&', '||', '<=', '>=', '==', '!=', '<', '>', '!', '-', '+', '*', '/', '%', '?', ':', '.', '(', ')', '[', ']', ','];

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|0x[0-9a-fA-F]+|\d+)u?/.exec(src.slice(i));
    if (num) {
      tokens.push({ kind: 'num', text: num[0], value: Number(num[0].replace(/u$/, '')) });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\') {
          const esc = src[j + 1];
          text += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
          j += 2;
        } else {
          text += src[j++];
        }
      }
      if (j >= src.length) throw new CelError(`Syntax error: unterminated string at ${i}`);
      tokens.push({ kind: 'str', text: src.slice(i, j + 1), value: text });
      i = j + 1;
      continue;
    }
    const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (ident) {
      tokens.push({ kind: 'ident', text: ident[0] });
      i += ident[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    if (!op) throw new CelError(`Syntax error: unexpected character '${c}' at ${i}`);
    tokens.push({ kind: 'op', text: op });
    i += op.length;
  }
  return tokens;
}

/** Recursive descent over CEL's grammar (precedence from the CEL spec). */
class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): CelNode {
    const node = this.expr();
    if (this.pos < this.tokens.length) throw new CelError(`Syntax error: unexpected '${this.tokens[this.pos].text}'`);
    return node;
  }

  private peek(text?: string): Token | undefined {
    const t = this.tokens[this.pos];
    return text === undefined || t?.text === text ? t : undefined;
  }

  private eat(text: string): boolean {
    if (this.peek(text) && this.tokens[this.pos].kind !== 'str') {
      this.pos++;
      return true;
    }
    return false;
  }

  private expect(text: string): void {
    if (!this.eat(text)) throw new CelError(`Syntax error: expected '${text}'`);
  }

  private expr(): CelNode {
    const test = this.binary(0);
    if (!this.eat('?')) return test;
    const then = this.binary(0);
    this.expect(':');
    return { kind: 'cond', test, then, else: this.expr() };
  }

  private static readonly LEVELS: readonly (readonly string[])[] = [
    ['||'],
    ['&&'],
    ['<', '<=', '>', '>=', '==', '!=', 'in'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private binary(level: number): CelNode {
    if (level === Parser.LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.tokens[this.pos];
      if (!t || t.kind === 'str' || t.kind === 'num' || !Parser.LEVELS[level].includes(t.text)) return left;
      this.pos++;
      left = { kind: 'binary', op: t.text, left, right: this.binary(level + 1) };
    }
  }

  private unary(): CelNode {
    if (this.eat('!')) return { kind: 'unary', op: '!', arg: this.unary() };
    if (this.eat('-')) return { kind: 'unary', op: '-', arg: this.unary() };
    return this.member();
  }

  private member(): CelNode {
    let node = this.primary();
    for (;;) {
      if (this.eat('.')) {
        const field = this.tokens[this.pos++];
        if (field?.kind !== 'ident') throw new CelError('Syntax error: expected a field name after "."');
        node = this.eat('(')
          ? { kind: 'call', fn: field.text, target: node, args: this.args(')') }
          : { kind: 'select', target: node, field: field.text };
      } else if (this.eat('[')) {
        const index = this.expr();
        this.expect(']');
        node = { kind: 'index', target: node, index };
      } else {
        return node;
      }
    }
  }

  private args(close: string): CelNode[] {
    const args: CelNode[] = [];
    if (this.eat(close)) return args;
    do args.push(this.expr());
    while (this.eat(','));
    this.expect(close);
    return args;
  }

  private primary(): CelNode {
    const t = this.tokens[this.pos++];
    if (!t) throw new CelError('Syntax error: unexpected end of expression');
    if (t.kind === 'num' || t.kind === 'str') return { kind: 'lit', value: t.value };
    if (t.kind === 'ident') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'lit', value: t.text === 'true' };
      if (t.text === 'null') return { kind: 'lit', value: null };
      if (this.eat('(')) return { kind: 'call', fn: t.text, args: this.args(')') };
      return { kind: 'ident', name: t.text };
    }
    if (t.text === '(') {
      const node = this.expr();
      this.expect(')');
      return node;
    }
    if (t.text === '[') return { kind: 'list', items: this.args(']') };
    throw new CelError(`Syntax error: unexpected '${t.text}'`);
  }
}

const FUNCTIONS = new Set(['has', 'size', 'startsWith', 'endsWith', 'contains', 'matches']);

/** Parses a rule and checks that it stays inside the subset; throws CelError otherwise. */
export function compileCel(rule: string): CelNode {
  const ast = new Parser(tokenize(rule)).parse();
  const check = (n: CelNode): void => {
    switch (n.kind) {
      case 'ident':
        if (n.name !== 'self' && n.name !== 'oldSelf') throw new CelError(`undeclared reference to '${n.name}'`);
        return;
      case 'call':
        if (!FUNCTIONS.has(n.fn)) throw new CelError(`undeclared reference to '${n.fn}' (not in this CEL subset)`);
        if (n.fn === 'has' && (n.args.length !== 1 || n.args[0].kind !== 'select')) {
          throw new CelError('invalid argument to has() macro');
        }
        if (n.target) check(n.target);
        n.args.forEach(check);
        return;
      case 'select':
        return check(n.target);
      case 'index':
        check(n.target);
        return check(n.index);
      case 'list':
        return n.items.forEach(check);
      case 'unary':
        return check(n.arg);
      case 'binary':
        check(n.left);
        return check(n.right);
      case 'cond':
        check(n.test);
        check(n.then);
        return check(n.else);
      case 'lit':
        return;
    }
  };
  check(ast);
  return ast;
}

/** True when the rule refers to `oldSelf` (a transition rule: evaluated on update only). */
export function usesOldSelf(node: CelNode): boolean {
  return JSON.stringify(node).includes('"name":"oldSelf"');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function hasKey(obj: Record<string, unknown>, key: string): boolean {
  return Object.hasOwn(obj, key) && obj[key] !== undefined;
}

function typeName(v: unknown): string {
  if (v === null) return 'null_type';
  if (Array.isArray(v)) return 'list';
  if (isObject(v)) return 'map';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'double';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

function noOverload(op: string, ...args: unknown[]): CelError {
  return new CelError(`no such overload: ${args.map(typeName).join(' ' + op + ' ')}`);
}

function equals(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Evaluates a compiled rule; throws CelError for runtime errors (missing key, bad types). */
export function evaluateCel(node: CelNode, vars: { self: unknown; oldSelf?: unknown }): unknown {
  const ev = (n: CelNode): unknown => evaluateCel(n, vars);
  switch (node.kind) {
    case 'lit':
      return node.value;
    case 'ident':
      return node.name === 'self' ? vars.self : vars.oldSelf;
    case 'list':
      return node.items.map(ev);
    case 'select': {
      const obj = ev(node.target);
      if (!isObject(obj)) throw new CelError(`type '${typeName(obj)}' does not support field selection`);
      if (!hasKey(obj, node.field)) throw new CelError(`no such key: ${node.field}`);
      return obj[node.field];
    }
    case 'index': {
      const obj = ev(node.target);
      const key = ev(node.index);
      if (Array.isArray(obj) && typeof key === 'number') {
        if (key < 0 || key >= obj.length) throw new CelError(`index out of bounds: ${key}`);
        return obj[key];
      }
      if (isObject(obj) && typeof key === 'string') {
        if (!hasKey(obj, key)) throw new CelError(`no such key: ${key}`);
        return obj[key];
      }
      throw noOverload('[]', obj, key);
    }
    case 'call':
      return call(node, ev);
    case 'unary': {
      const v = ev(node.arg);
      if (node.op === '!' && typeof v === 'boolean') return !v;
      if (node.op === '-' && typeof v === 'number') return -v;
      throw noOverload(node.op, v);
    }
    case 'cond': {
      const test = ev(node.test);
      if (typeof test !== 'boolean') throw noOverload('?:', test);
      return test ? ev(node.then) : ev(node.else);
    }
    case 'binary':
      return binary(node, ev);
  }
}

function call(node: Extract<CelNode, { kind: 'call' }>, ev: (n: CelNode) => unknown): unknown {
  if (node.fn === 'has') {
    const sel = node.args[0] as Extract<CelNode, { kind: 'select' }>;
    const obj = ev(sel.target);
    return isObject(obj) && hasKey(obj, sel.field);
  }
  const [recv, ...args] = node.target ? [ev(node.target), ...node.args.map(ev)] : node.args.map(ev);
  switch (node.fn) {
    case 'size':
      if (typeof recv === 'string') return [...recv].length;
      if (Array.isArray(recv)) return recv.length;
      if (isObject(recv)) return Object.keys(recv).length;
      throw noOverload('size', recv);
    case 'startsWith':
    case 'endsWith':
    case 'contains':
    case 'matches': {
      const arg = args[0];
      if (typeof recv !== 'string' || typeof arg !== 'string') throw noOverload(node.fn, recv, arg);
      if (node.fn === 'matches') return new RegExp(arg).test(recv);
      return node.fn === 'contains' ? recv.includes(arg) : node.fn === 'startsWith' ? recv.startsWith(arg) : recv.endsWith(arg);
    }
  }
  throw new CelError(`undeclared reference to '${node.fn}'`);
}

function binary(node: Extract<CelNode, { kind: 'binary' }>, ev: (n: CelNode) => unknown): unknown {
  const { op } = node;
  // && and || are commutative in CEL: an error on one side is absorbed when the other decides.
  if (op === '&&' || op === '||') {
    const decisive = op === '||';
    let error: unknown;
    for (const side of [node.left, node.right]) {
      try {
        const v = ev(side);
        if (typeof v !== 'boolean') throw noOverload(op, v);
        if (v === decisive) return decisive;
      } catch (err) {
        error ??= err;
      }
    }
    if (error) throw error;
    return !decisive;
  }
  const a = ev(node.left);
  const b = ev(node.right);
  switch (op) {
    case '==':
      return equals(a, b);
    case '!=':
      return !equals(a, b);
    case 'in':
      if (Array.isArray(b)) return b.some((x) => equals(x, a));
      if (isObject(b) && typeof a === 'string') return hasKey(b, a);
      throw noOverload('in', a, b);
  }
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      case '>=':
        return a >= b;
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        if (b === 0) throw new CelError('division by zero');
        return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
      case '%':
        if (b === 0) throw new CelError('modulus by zero');
        return a % b;
    }
  }
  if (typeof a === 'string' && typeof b === 'string') {
    switch (op) {
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      case '>=':
        return a >= b;
      case '+':
        return a + b;
    }
  }
  if (op === '+' && Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  throw noOverload(op, a, b);
}
