/**
 * Fault injection for tests: make the next N matching requests fail with a given code (5xx, 409,
 * 429, ...) or wait before they are served. Requests are matched on what RBAC sees (verb,
 * resource, subresource, namespace, name) or on the raw path.
 */

/** What a request is, in RBAC terms (also what the audit log records). */
export interface RequestInfo {
  method: string;
  path: string;
  /** get, list, watch, create, update, patch, delete; for non-resource URLs the lower-case method. */
  verb: string;
  resourceRequest: boolean;
  apiGroup?: string;
  apiVersion?: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface FaultMatch {
  verb?: string | readonly string[];
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Exact path, or a pattern tested against the path (without the query). */
  path?: string | RegExp;
}

export interface InjectedFailure {
  code: number;
  message?: string;
}

interface Rule<T> {
  match: FaultMatch;
  remaining: number;
  value: T;
}

export function matches(match: FaultMatch, info: RequestInfo): boolean {
  const verbs = typeof match.verb === 'string' ? [match.verb] : match.verb;
  if (verbs && !verbs.includes(info.verb)) return false;
  if (match.resource !== undefined && match.resource !== info.resource) return false;
  if (match.subresource !== undefined && match.subresource !== info.subresource) return false;
  if (match.namespace !== undefined && match.namespace !== info.namespace) return false;
  if (match.name !== undefined && match.name !== info.name) return false;
  if (match.path instanceof RegExp) return match.path.test(info.path);
  return match.path === undefined || match.path === info.path;
}

export class FaultInjector {
  private failures: Rule<InjectedFailure>[] = [];
  private delays: Rule<number>[] = [];

  /** The next `count` requests matching `match` fail with `failure.code`. */
  failNext(count: number, match: FaultMatch, failure: InjectedFailure): void {
    this.failures.push({ match, remaining: count, value: failure });
  }

  /** The next `count` (default: all) requests matching `match` wait `delayMs` (on the server's clock). */
  delay(match: FaultMatch, delayMs: number, count = Number.POSITIVE_INFINITY): void {
    this.delays.push({ match, remaining: count, value: delayMs });
  }

  clear(): void {
    this.failures = [];
    this.delays = [];
  }

  /** Consumes one matching failure, if any. */
  takeFailure(info: RequestInfo): InjectedFailure | undefined {
    return take(this.failures, info);
  }

  /** Consumes one matching delay, if any (ms, 0 when none). */
  takeDelay(info: RequestInfo): number {
    return take(this.delays, info) ?? 0;
  }
}

function take<T>(rules: Rule<T>[], info: RequestInfo): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && matches(r.match, info));
  if (!rule) return undefined;
  rule.remaining--;
  return rule.value;
}
