/**
 * Reading `spec.policy.params` for a policy factory. Each read names the field, its allowed range
 * and its default once; `finish()` then rejects any key no read asked for, listing the ones that
 * were. So the list of allowed params cannot drift from the code that uses them.
 *
 *   const params = new PolicyParams('hpa', spec.params);
 *   const target = params.integer('targetCPUUtilizationPercentage', { min: 1, max: 1000, default: 80 });
 *   params.finish();
 */
import { PolicyConfigError } from './policy.js';

interface NumberRange {
  min: number;
  max: number;
  /** `min` itself is not allowed (e.g. a threshold must be > 0). */
  minExclusive?: boolean;
}

export class PolicyParams {
  private readonly values: Readonly<Record<string, unknown>>;
  private readonly known: string[] = [];

  constructor(
    private readonly policyName: string,
    params: unknown,
  ) {
    if (params === undefined || params === null) {
      this.values = {};
    } else if (typeof params !== 'object' || Array.isArray(params)) {
      throw new PolicyConfigError(`policy "${policyName}": params must be an object of name: value, got ${describe(params)}`);
    } else {
      this.values = params as Record<string, unknown>;
    }
  }

  integer(name: string, opts: NumberRange & { default: number }): number {
    return this.optionalInteger(name, opts) ?? opts.default;
  }

  optionalInteger(name: string, range: NumberRange): number | undefined {
    const value = this.read(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || !inRange(value, range)) {
      throw this.invalid(name, `an integer ${describeRange(range)}`, value);
    }
    return value;
  }

  number(name: string, opts: NumberRange & { default: number }): number {
    return this.optionalNumber(name, opts) ?? opts.default;
  }

  optionalNumber(name: string, range: NumberRange): number | undefined {
    const value = this.read(name);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isFinite(value) || !inRange(value, range)) {
      throw this.invalid(name, `a number ${describeRange(range)}`, value);
    }
    return value;
  }

  requiredNumber(name: string, range: NumberRange): number {
    const value = this.optionalNumber(name, range);
    if (value === undefined) {
      throw new PolicyConfigError(`policy "${this.policyName}": param "${name}" is required (a number ${describeRange(range)})`);
    }
    return value;
  }

  oneOf<T extends string>(name: string, opts: { values: readonly T[]; default: T }): T {
    const value = this.read(name);
    if (value === undefined) return opts.default;
    if (typeof value !== 'string' || !(opts.values as readonly string[]).includes(value)) {
      throw this.invalid(name, `one of ${opts.values.join(', ')}`, value);
    }
    return value as T;
  }

  boolean(name: string, opts: { default: boolean }): boolean {
    const value = this.read(name);
    if (value === undefined) return opts.default;
    if (typeof value !== 'boolean') throw this.invalid(name, 'true or false', value);
    return value;
  }

  /** Rejects keys no read asked for. Call after every read. */
  finish(): void {
    for (const key of Object.keys(this.values)) {
      if (!this.known.includes(key)) {
        const allowed = this.known.length > 0 ? `allowed params: ${[...this.known].sort().join(', ')}` : 'it takes no params';
        throw new PolicyConfigError(`policy "${this.policyName}": unknown param "${key}"; ${allowed}`);
      }
    }
  }

  /** A PolicyConfigError for a rule that involves several params (e.g. scaleMin <= scaleMax). */
  error(message: string): PolicyConfigError {
    return new PolicyConfigError(`policy "${this.policyName}": ${message}`);
  }

  private read(name: string): unknown {
    if (!this.known.includes(name)) this.known.push(name);
    return Object.prototype.hasOwnProperty.call(this.values, name) ? this.values[name] : undefined;
  }

  private invalid(name: string, allowed: string, value: unknown): PolicyConfigError {
    return new PolicyConfigError(`policy "${this.policyName}": param "${name}" must be ${allowed}, got ${describe(value)}`);
  }
}

function inRange(value: number, range: NumberRange): boolean {
  const aboveMin = range.minExclusive ? value > range.min : value >= range.min;
  return aboveMin && value <= range.max;
}

function describeRange(range: NumberRange): string {
  if (range.max === Infinity) return range.minExclusive ? `> ${range.min}` : `>= ${range.min}`;
  return range.minExclusive ? `in (${range.min}, ${range.max}]` : `in ${range.min}..${range.max}`;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : String(value);
}
