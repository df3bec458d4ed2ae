/**
 * Kubernetes resource quantities ("100m", "0.5", "128Mi", "1e3") as plain numbers in base units
 * (cores, bytes), for `spec.resources.requests` and Deployment container requests.
 */
import { InputError } from '#kernel/input-error.js';

const QUANTITY =
  /^([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** `parseQuantity("250m")` → 0.25; `parseQuantity("128Mi")` → 134217728. Throws InputError when malformed. */
export function parseQuantity(quantity: string | number, field = 'quantity'): number {
  if (typeof quantity === 'number') return quantity;
  const m = QUANTITY.exec(quantity.trim());
  if (!m) {
    throw new InputError(`${field}: invalid quantity ${JSON.stringify(quantity)}: quantities look like 100m, 0.5, 128Mi or 1e3`);
  }
  const [, number, suffix = ''] = m;
  const scale = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX[suffix];
  return Number(number) * scale;
}
