/**
 * The policy registry (KEDA's scaler registry): one line per policy, in alphabetical order. A
 * policy is registered by adding its factory here; `availablePolicyNames` lists exactly what is
 * registered, so a name the custom resource allows but whose module has not landed yet is an
 * unknown policy, not a crash. Factories that need heavy modules (tfjs) import them inside the
 * factory (`await import(...)`), so importing the registry stays cheap.
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

const POLICIES: Readonly<Partial<Record<AnyPolicyName, PolicyFactory>>> = {
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

/** The registered policy names, sorted. */
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
