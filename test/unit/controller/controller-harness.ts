/**
 * The controller in scripted time against an in-memory cluster and scripted Prometheus answers:
 * what the controller tests share.
 */
import { pino } from 'pino';
import { Controller, type ControllerOptions } from '../../../operator/src/controller/controller.js';
import { ManualClock } from '../../../operator/src/controller/clock.js';
import type { AutoscalerObject } from '../../../operator/src/controller/kube.js';
import { buildObservation } from '../../../operator/src/metrics/observation.js';
import { createPolicy as registryCreatePolicy } from '../../../operator/src/policies/registry.js';
import { PolicyConfigError, type PolicyDeps, type PolicySpec, type ScalingPolicy } from '../../../operator/src/policies/policy.js';
import type { FunctionAutoscalerStatus } from '../../../operator/src/api/types.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import { FakeCluster } from './fake-cluster.js';
import { ScriptedMetrics } from './scripted-prometheus.js';

export const NS = 'openfaas-fn';
export const T0 = Date.parse('2026-01-01T00:00:00Z');

/** A stand-in policy whose decisions are easy to compute by hand: one replica per 10 RPS. */
export function perTenRps(name: 'knative' | 'keda'): ScalingPolicy & { resets: number } {
  const p = {
    name,
    resets: 0,
    recommend(obs: { rps: number | null }) {
      if (obs.rps === null) return { valid: false as const, reason: 'no rps' };
      return { valid: true as const, desiredReplicas: Math.max(1, Math.ceil(obs.rps / 10)), reason: `${obs.rps} rps / 10` };
    },
    reset() {
      p.resets++;
    },
    dispose() {},
  };
  return p;
}

export function fas(name: string, spec: Record<string, unknown>): AutoscalerObject {
  return {
    apiVersion: 'faas-autoscaler.dev/v1alpha1',
    kind: 'FunctionAutoscaler',
    metadata: { name, namespace: NS },
    spec: { functionName: name, maxReplicas: 10, slo: { p95LatencyMs: 500 }, policy: { name: 'knative' }, ...spec },
  };
}

export interface Harness {
  clock: ManualClock;
  cluster: FakeCluster;
  prom: ScriptedMetrics;
  controller: Controller;
  created: string[];
  leader: { value: boolean };
  status(name: string): FunctionAutoscalerStatus;
  condition(name: string, type: string): { status: string; reason: string; message: string } | undefined;
  eventReasons(): string[];
}

export async function harness(extra: Partial<ControllerOptions> = {}): Promise<Harness> {
  const clock = new ManualClock(T0);
  const cluster = new FakeCluster();
  const prom = new ScriptedMetrics();
  const created: string[] = [];
  const leader = { value: true };
  const createPolicy = async (spec: PolicySpec, deps: PolicyDeps): Promise<ScalingPolicy> => {
    created.push(spec.name);
    if (spec.name === 'knative' || spec.name === 'keda') return perTenRps(spec.name);
    // The learned policy's factory loads tfjs and a model from disk (real time, not scripted);
    // here it fails as it does when the model directory is missing.
    if (spec.name === 'lstm-ppo-plus')
      throw new PolicyConfigError(`policy "lstm-ppo-plus": cannot read model ${spec.model ?? 'models/lstm-ppo-plus'}: ENOENT`);
    return registryCreatePolicy(spec, deps);
  };
  const controller = new Controller({
    cluster,
    gateway: prom.gateway,
    cadvisor: prom.cadvisor,
    clock,
    logger: pino({ level: 'silent' }),
    createPolicy,
    createRails: (c) => new Rails(c),
    buildObservation,
    identity: 'test-0',
    canWrite: () => leader.value,
    ...extra,
  });
  const h: Harness = {
    clock,
    cluster,
    prom,
    controller,
    created,
    leader,
    status: (name) => (cluster.statusOf(NS, name) ?? {}) as FunctionAutoscalerStatus,
    condition: (name, type) => (h.status(name).conditions ?? []).find((c) => c.type === type),
    eventReasons: () => cluster.events.map((e) => e.reason),
  };
  return h;
}

/** Starts the controller and runs the first tick (everything is due at start). */
export async function started(h: Harness): Promise<void> {
  h.controller.start();
  await h.clock.advance(0);
}
