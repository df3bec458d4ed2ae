/**
 * The policy registry (KEDA's scaler registry): one line per policy, in alphabetical order. The
 * record is typed by every name in POLICY_NAMES and SIMULATOR_ONLY_POLICY_NAMES (policy.ts), so a
 * name without a factory, or a factory without a name, does not compile. Factories that need heavy
 * modules (tfjs) import them inside the factory (`await import(...)`), so importing the registry
 * stays cheap.
 */
import { createHpaPolicy } from './hpa.js';
import { createKedaPolicy } from './keda.js';
import { createKnativePolicy } from './knative.js';
import { createLstmPpoPolicy } from './lstm-ppo.js';
import { createLstmPpoPlusPolicy } from './lstm-ppo-plus.js';
import { createOpenFaasCePolicy } from './openfaas-ce.js';
import { createOpenFaasProPolicy } from './openfaas-pro.js';
import { createOraclePolicy } from './oracle.js';
import { createPpoPolicy } from './ppo.js';
import { createStaticPolicy } from './static.js';
import { PolicyConfigError } from './policy.js';
import type { AnyPolicyName, PolicyDeps, PolicyFactory, PolicySpec, ScalingPolicy } from './policy.js';

const POLICIES: Readonly<Record<AnyPolicyName, PolicyFactory>> = {
  hpa: createHpaPolicy,
  keda: createKedaPolicy,
  knative: createKnativePolicy,
  'lstm-ppo': createLstmPpoPolicy,
  'lstm-ppo-plus': createLstmPpoPlusPolicy,
  'openfaas-ce': createOpenFaasCePolicy,
  'openfaas-pro': createOpenFaasProPolicy,
  oracle: createOraclePolicy,
  ppo: createPpoPolicy,
  static: createStaticPolicy,
};

/** The policy names, sorted. */
export function availablePolicyNames(): AnyPolicyName[] {
  return (Object.keys(POLICIES) as AnyPolicyName[]).sort();
}

/** A new policy instance for `spec`; unknown name or invalid params → PolicyConfigError. */
export async function createPolicy(spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> {
  const factory = Object.prototype.hasOwnProperty.call(POLICIES, spec.name) ? POLICIES[spec.name] : undefined;
  if (!factory) {
    throw new PolicyConfigError(`unknown policy "${String(spec.name)}"; known policies: ${availablePolicyNames().join(', ')}`);
  }
  return factory(spec, deps);
}
