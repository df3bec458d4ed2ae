/**
 * The reconcile loop in scripted time, against an in-memory cluster and scripted Prometheus
 * answers. Each test is one scenario; rows say what happens and what must follow.
 */
import { KubeApiError } from '../../../operator/src/controller/kube.js';
import { PrometheusError } from '../../../operator/src/metrics/prometheus.js';
import { buildObservation } from '../../../operator/src/metrics/observation.js';
import { createPolicy as registryCreatePolicy } from '../../../operator/src/policies/registry.js';
import type { PolicyDeps, PolicySpec } from '../../../operator/src/policies/policy.js';
import type { Actuator } from '../../../operator/src/actuators/types.js';
import { Rails } from '../../../operator/src/rails/rails.js';
import type { RailsConfig } from '../../../operator/src/rails/types.js';
import type { Observation } from '../../../operator/src/metrics/types.js';
import { decisionStep } from '../../../operator/src/decision/step.js';
import { fas, harness, NS, perTenRps, started, T0, type Harness } from './controller-harness.js';

describe('Controller', () => {
  it('scales a Deployment up under load and back down after, with an Event for each', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05 });
    await started(h);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), desired: h.status('echo').desiredReplicas }).toEqual({ replicas: 5, desired: 5 });
    expect(h.status('echo').lastObservation).toMatchObject({ rps: 45, replicas: 1 });
    expect(h.condition('echo', 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });

    h.prom.set(`echo.${NS}`, { rps: 5, cpuCores: 0.05, pods: 5 });
    await h.clock.advance(30_000);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(1);
    expect(h.cluster.events.filter((e) => e.reason === 'Scaled').map((e) => e.message.split(':')[0])).toEqual([
      'scaled from 1 to 5',
      'scaled from 5 to 1',
    ]);
    await h.controller.stop();
  });

  it('sends the same queries per tick for 1 or 40 functions, one batch per distinct interval', async () => {
    const counts: Record<string, number> = {};
    for (const n of [1, 40]) {
      const h = await harness();
      for (let i = 0; i < n; i++) {
        h.cluster.putDeployment(NS, `f${i}`, 1);
        // Two distinct intervals: 30 s for even, 60 s for odd functions (only when n > 1).
        h.cluster.putAutoscaler(fas(`f${i}`, { intervalSeconds: n > 1 && i % 2 ? 60 : 30 }));
        h.prom.set(`f${i}.${NS}`, { rps: 1, cpuCores: 0.01 });
      }
      await started(h);
      counts[`n=${n}`] = h.controller.lastTick!.queries;
      await h.controller.stop();
    }
    // 9 queries per window length: one window for n=1, two (30 s and 60 s) for n=40.
    expect(counts).toEqual({ 'n=1': 9, 'n=40': 18 });
  });

  it('with --openfaas-edition ce, keeps decisions within 1..5 and says why (CE would rewrite any other count); no in-flight gauge is no problem there', async () => {
    const rows: Array<[string, number | undefined, number, string | undefined, number]> = [];
    for (const edition of ['ce', 'pro'] as const) {
      const h = await harness({ openfaasEdition: edition });
      h.cluster.putDeployment(NS, 'echo', 1);
      h.cluster.putAutoscaler(fas('echo', { maxReplicas: 20 }));
      // 95 RPS / 10 per replica: the policy asks for 10.
      h.prom.set(`echo.${NS}`, { rps: 95, cpuCores: 0.05 });
      await started(h);
      const limited = h.condition('echo', 'ScalingLimited');
      // The scripted gateway has no in-flight gauge, as CE's has none: a problem only on Pro.
      const inflightProblems = (h.status('echo').lastObservation?.problems ?? []).filter((p) => p.includes('inflight')).length;
      expect(h.status('echo').lastObservation?.missing).toContain('inflight');
      rows.push([
        edition,
        h.cluster.replicasOf(NS, 'echo'),
        h.status('echo').desiredReplicas!,
        `${limited?.status} ${limited?.reason}`,
        inflightProblems,
      ]);
      if (edition === 'ce') {
        expect(limited?.message).toMatch(/limited to 5 by OpenFaaS CE, which keeps every function within 1\.\.5 replicas \(wanted 10\)/);
        expect(h.status('echo').lastDecision).toMatchObject({ rawDesiredReplicas: 10, desiredReplicas: 5, limitedBy: 'openfaas-ce' });
      }
      await h.controller.stop();
    }
    expect(rows).toEqual([
      ['ce', 5, 5, 'True OpenFaaSCE', 0],
      ['pro', 10, 10, 'False DesiredWithinRange', 2],
    ]);
  });

  it("takes bounds the resource leaves unset from the function's com.openfaas.scale.* labels; the resource wins when both say", async () => {
    const rows: Array<[string, number | undefined, string | undefined, number | undefined]> = [];
    const cases: Array<[string, Record<string, unknown>, Record<string, string>]> = [
      // no maxReplicas in the resource: the function's label caps at 4
      ['label max', { maxReplicas: undefined }, { 'com.openfaas.scale.max': '4' }],
      // both say: the resource's 6 wins over the label's 4
      ['resource max wins', { maxReplicas: 6 }, { 'com.openfaas.scale.max': '4' }],
      // neither: OpenFaaS' default of 20 (95 rps / 10 per replica wants 10)
      ['default max', { maxReplicas: undefined }, {}],
      // a label that is not a number is ignored, and status says so
      ['bad label', { maxReplicas: undefined }, { 'com.openfaas.scale.max': 'lots' }],
    ];
    for (const [name, spec, labels] of cases) {
      const h = await harness();
      h.cluster.putDeployment(NS, 'echo', 1, { labels });
      h.cluster.putAutoscaler(fas('echo', spec));
      h.prom.set(`echo.${NS}`, { rps: 95, cpuCores: 0.05 });
      await started(h);
      const bounds = h.status('echo').bounds;
      rows.push([name, h.cluster.replicasOf(NS, 'echo'), bounds?.maxFrom, bounds?.maxReplicas]);
      await h.controller.stop();
    }
    expect(rows).toEqual([
      ['label max', 4, 'label com.openfaas.scale.max', 4],
      ['resource max wins', 6, 'spec', 6],
      ['default max', 10, 'default', 20],
      ['bad label', 10, 'default (label com.openfaas.scale.max="lots" ignored: not a whole number >= 1)', 20],
    ]);
  });

  it('refuses bounds that cross across sources, naming both', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 2, { labels: { 'com.openfaas.scale.min': '8' } });
    h.cluster.putAutoscaler(fas('echo', { minReplicas: undefined, maxReplicas: 5 }));
    h.prom.set(`echo.${NS}`, { rps: 95, cpuCores: 0.05 });
    await started(h);
    expect(h.condition('echo', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'InvalidSpec',
      message: 'minReplicas 8 (from label com.openfaas.scale.min) is above maxReplicas 5 (from spec)',
    });
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(2);
    await h.controller.stop();
  });

  it('switches policy on a spec patch: next decision by the new policy, state reset, Event', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 2);
    h.cluster.putAutoscaler(fas('echo', { policy: { name: 'knative' } }));
    h.prom.set(`echo.${NS}`, { rps: 20, cpuCores: 0.1, pods: 2 });
    await started(h);
    expect(h.status('echo').activePolicy).toBe('knative');

    const obj = h.cluster.autoscalers.get(`${NS}/echo`)!;
    h.cluster.putAutoscaler({ ...obj, spec: { ...obj.spec, policy: { name: 'static', params: { replicas: 4 } } } });
    await h.clock.advance(30_000);
    expect({ active: h.status('echo').activePolicy, replicas: h.cluster.replicasOf(NS, 'echo') }).toEqual({
      active: 'static',
      replicas: 4,
    });
    const switched = h.cluster.events.find((e) => e.reason === 'PolicySwitched');
    expect(switched?.message).toMatch(/knative → static/);
    expect(h.created).toEqual(['knative', 'static']);
    await h.controller.stop();
  });

  it('falls back to spec.policy.fallback when the policy cannot be loaded (lstm-ppo-plus without its model)', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 2);
    // No policy given: the CRD default lstm-ppo-plus, fallback default hpa.
    h.cluster.putAutoscaler(fas('echo', { policy: {} }));
    h.prom.set(`echo.${NS}`, { rps: 20, cpuCores: 0.4, pods: 2 });
    await started(h);
    const loaded = h.condition('echo', 'PolicyLoaded');
    expect(loaded).toMatchObject({ status: 'False', reason: 'PolicyLoadFailed' });
    expect(loaded?.message).toMatch(/lstm-ppo-plus could not be loaded \(.*ENOENT\); using fallback hpa/);
    expect(h.status('echo').activePolicy).toBe('hpa');
    expect(h.eventReasons()).toContain('PolicyFallback');
    // hpa at 0.4 cores over 2 pods of 100m = 200 % of request vs target 80 % → ceil(2 × 2.5) = 5.
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(5);
    await h.controller.stop();
  });

  it('retries a policy that failed to load and retires the fallback when it loads', async () => {
    let modelReady = false;
    const h = await harness({
      policyRetryMs: 60_000,
      createPolicy: async (spec: PolicySpec, deps: PolicyDeps) => {
        if (spec.name === 'knative' && !modelReady) throw new Error('model not found');
        return spec.name === 'knative' ? perTenRps('knative') : registryCreatePolicy(spec, deps);
      },
    });
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', { policy: { name: 'knative', fallback: 'static' } }));
    h.prom.set(`echo.${NS}`, { rps: 40, cpuCores: 0.05 });
    await started(h);
    expect({ active: h.status('echo').activePolicy, loaded: h.condition('echo', 'PolicyLoaded')?.status }).toEqual({
      active: 'static',
      loaded: 'False',
    });
    modelReady = true;
    await h.clock.advance(30_000); // before the retry time: still the fallback
    expect(h.status('echo').activePolicy).toBe('static');
    await h.clock.advance(30_000);
    expect({
      active: h.status('echo').activePolicy,
      loaded: h.condition('echo', 'PolicyLoaded')?.status,
      replicas: h.cluster.replicasOf(NS, 'echo'),
    }).toEqual({ active: 'knative', loaded: 'True', replicas: 4 });
    expect(h.eventReasons().filter((r) => r.startsWith('Policy'))).toEqual(['PolicyFallback', 'PolicyLoaded']);
    await h.controller.stop();
  });

  it('holds the scale when neither the policy nor its fallback loads', async () => {
    const h = await harness({
      createPolicy: async () => {
        throw new Error('no policies today');
      },
    });
    h.cluster.putDeployment(NS, 'echo', 3);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 90, cpuCores: 0.05, pods: 3 });
    await started(h);
    expect({
      replicas: h.cluster.replicasOf(NS, 'echo'),
      loaded: h.condition('echo', 'PolicyLoaded')?.reason,
      ready: h.condition('echo', 'Ready')?.reason,
    }).toEqual({ replicas: 3, loaded: 'NoPolicy', ready: 'PolicyUnavailable' });
    expect(h.eventReasons()).toContain('PolicyUnavailable');
    await h.controller.stop();
  });

  // Each row: a metrics fault → what the controller must do. Never drop to min on missing data.
  const faults: Array<{ name: string; fault: (h: Harness) => void; reason: string; replicas: number; retryMs: number | null }> = [
    // Prometheus A down: hold, condition, retry after 1 s (back-off), not at the next interval.
    {
      name: 'gateway Prometheus down',
      fault: (h) => (h.prom.gatewayDown = new PrometheusError('prometheus-a', 'unreachable', 'cannot reach (ECONNREFUSED)')),
      reason: 'PrometheusUnavailable',
      replicas: 4,
      retryMs: 1000,
    },
    // NaN in the counter: hold, named reason; the next interval as usual.
    {
      name: 'NaN request counter',
      fault: (h) => h.prom.set(`echo.${NS}`, { rps: 0, cpuCores: 0.01, nan: true }),
      reason: 'NoRequestMetrics',
      replicas: 4,
      retryMs: null,
    },
    // Function absent from Prometheus (never invoked since the gateway started): hold.
    { name: 'empty result', fault: (h) => h.prom.load.clear(), reason: 'NoRequestMetrics', replicas: 4, retryMs: null },
    // cAdvisor down while load fell: the policy wants 1, but no scale-down on partial data.
    {
      name: 'cAdvisor down',
      fault: (h) => (h.prom.cadvisorDown = new PrometheusError('prometheus-b', 'server', 'HTTP 503')),
      reason: 'ResourceMetricsUnavailable',
      replicas: 4,
      retryMs: 1000,
    },
  ];
  it.each(faults)('$name → keeps $replicas replicas, MetricsAvailable=False $reason', async ({ fault, reason, replicas, retryMs }) => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 4);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 2, cpuCores: 0.01, pods: 4 });
    fault(h);
    await started(h);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), cond: h.condition('echo', 'MetricsAvailable')?.reason }).toEqual({
      replicas,
      cond: reason,
    });
    const queriesAfterFirst = h.prom.queries.length;
    await h.clock.advance(1000);
    const retried = h.prom.queries.length > queriesAfterFirst;
    expect({ retriedAfter1s: retried }).toEqual({ retriedAfter1s: retryMs !== null });
    await h.clock.advance(60_000);
    // One Warning Event when the fault starts, not one per retry; still no scale change.
    expect({ events: h.eventReasons().filter((r) => r === reason).length, replicas: h.cluster.replicasOf(NS, 'echo') }).toEqual({
      events: 1,
      replicas,
    });
    await h.controller.stop();
  });

  it('recovers after Prometheus comes back: condition True again and scaling resumes', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    h.prom.gatewayDown = new PrometheusError('prometheus-a', 'timeout', 'no answer within 10000 ms');
    await started(h);
    await h.clock.advance(3000); // retries at +1 s and +3 s (1 s, then 2 s back-off)
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(1);
    h.prom.gatewayDown = undefined;
    await h.clock.advance(4000);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), cond: h.condition('echo', 'MetricsAvailable')?.status }).toEqual({
      replicas: 3,
      cond: 'True',
    });
    await h.controller.stop();
  });

  it('reports a missing Deployment as a condition and an Event, without crashing', async () => {
    const h = await harness();
    h.cluster.putAutoscaler(fas('ghost', {}));
    h.cluster.putDeployment(NS, 'other', 1); // the namespace exists, the function does not
    await started(h);
    expect(h.condition('ghost', 'Ready')).toMatchObject({ status: 'False', reason: 'DeploymentNotFound' });
    expect(h.eventReasons()).toContain('DeploymentNotFound');
    await h.clock.advance(30_000);
    // One Event per transition, not one per interval.
    expect(h.eventReasons().filter((r) => r === 'DeploymentNotFound')).toHaveLength(1);
    await h.controller.stop();
  });

  it('detects replicas changed by someone else (ExternalChange) and decides from the new count', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 2);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 20, cpuCores: 0.05, pods: 2 });
    await started(h);
    expect(h.condition('echo', 'ExternalChange')?.status).toBe('False');
    h.cluster.putDeployment(NS, 'echo', 5); // OpenFaaS CE's alert fired and scaled it
    await h.clock.advance(30_000);
    expect(h.condition('echo', 'ExternalChange')).toMatchObject({ status: 'True', reason: 'ReplicasChangedExternally' });
    expect(h.cluster.events.find((e) => e.reason === 'ExternalChange')?.message).toMatch(/from 2 to 5/);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(2); // our policy still says 20 rps → 2
    await h.controller.stop();
  });

  it('dryRun decides and reports but never scales', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', { dryRun: true }));
    h.prom.set(`echo.${NS}`, { rps: 70, cpuCores: 0.05 });
    await started(h);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), desired: h.status('echo').desiredReplicas }).toEqual({ replicas: 1, desired: 7 });
    expect(h.cluster.calls.filter((c) => c.startsWith('replaceScale'))).toEqual([]);
    expect(h.cluster.events.find((e) => e.reason === 'DryRun')?.message).toMatch(/would scale from 1 to 7/);
    // The same would-be change at the next intervals is one Event whose count grows (client-go's
    // aggregation), not an Event per interval; a different one is a new Event.
    await h.clock.advance(30_000);
    await h.clock.advance(30_000);
    const dryRuns = () => h.cluster.events.filter((e) => e.reason === 'DryRun');
    expect(dryRuns().map((e) => [e.count, e.message.split(':')[0]])).toEqual([[3, 'would scale from 1 to 7']]);
    expect(dryRuns()[0].lastMs).toBe(T0 + 60_000);
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    await h.clock.advance(30_000);
    expect(dryRuns().map((e) => [e.count, e.message.split(':')[0]])).toEqual([
      [3, 'would scale from 1 to 7'],
      [1, 'would scale from 1 to 3'],
    ]);
    // After more than 10 minutes without a repeat, the same change starts a new Event.
    await h.clock.advance(11 * 60_000);
    h.prom.set(`echo.${NS}`, { rps: 70, cpuCores: 0.05 });
    await h.clock.advance(30_000);
    expect(
      dryRuns()
        .filter((e) => e.message.startsWith('would scale from 1 to 7'))
        .map((e) => e.count),
    ).toEqual([3, 1]);
    await h.controller.stop();
  });

  it('retries a stale write: a 409 on /scale (the count still the one decided from) is read again and rewritten', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    h.cluster.failNext('replaceScale', new KubeApiError('the object has been modified', 409, 'Conflict'));
    await started(h);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(3);
    expect(h.cluster.calls.filter((c) => /^(readScale|replaceScale|readAutoscaler|patchAutoscalerStatus)/.test(c))).toEqual([
      `readAutoscaler ${NS}/echo`, // still there, same generation: the decision stands
      `readScale ${NS}/echo`,
      `replaceScale ${NS}/echo 3`, // 409
      `readScale ${NS}/echo`,
      `replaceScale ${NS}/echo 3`,
      `patchAutoscalerStatus ${NS}/echo`,
    ]);
    expect(h.status('echo').desiredReplicas).toBe(3);
    await h.controller.stop();
  });

  it('backs off on a 5xx from /scale and reports ScaleFailed, then succeeds', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    h.cluster.failNext('readScale', new KubeApiError('etcd timeout', 503, 'ServiceUnavailable'));
    await started(h);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), ready: h.condition('echo', 'Ready')?.reason }).toEqual({
      replicas: 1,
      ready: 'ScaleFailed',
    });
    await h.clock.advance(1000);
    expect({ replicas: h.cluster.replicasOf(NS, 'echo'), ready: h.condition('echo', 'Ready')?.reason }).toEqual({
      replicas: 3,
      ready: 'Reconciled',
    });
    await h.controller.stop();
  });

  it('scales through the gateway actuator when spec.actuator is gateway, and says so when none is configured', async () => {
    const calls: string[] = [];
    const gateway: Actuator = {
      name: 'gateway',
      scale: async (t, replicas) => {
        calls.push(`${t.namespace}/${t.name} ${replicas}`);
        return { replicas, attempts: 1 };
      },
    };
    const h = await harness({ actuators: { gateway } });
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', { actuator: 'gateway' }));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    await started(h);
    expect({ calls, scaleWrites: h.cluster.calls.filter((c) => c.startsWith('replaceScale')) }).toEqual({
      calls: [`${NS}/echo 3`],
      scaleWrites: [],
    });
    await h.controller.stop();

    const bare = await harness(); // no --gateway-url
    bare.cluster.putDeployment(NS, 'echo', 1);
    bare.cluster.putAutoscaler(fas('echo', { actuator: 'gateway' }));
    bare.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    await started(bare);
    expect(bare.condition('echo', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ScaleFailed',
      message: expect.stringMatching(/--gateway-url/),
    });
    await bare.controller.stop();
  });

  it('a standby replica (not leader) neither queries nor writes', async () => {
    const h = await harness();
    h.leader.value = false;
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    await started(h);
    await h.clock.advance(60_000);
    expect({ queries: h.prom.queries.length, writes: h.cluster.calls.filter((c) => /^(replace|create)/.test(c)) }).toEqual({
      queries: 0,
      writes: [],
    });
    h.leader.value = true; // the other replica released the Lease
    await h.clock.advance(30_000);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(3);
    // Leadership lost; the other replica scales meanwhile; we lead again: not an ExternalChange.
    h.leader.value = false;
    await h.clock.advance(30_000);
    h.cluster.putDeployment(NS, 'echo', 6);
    h.leader.value = true;
    await h.clock.advance(30_000);
    expect({ external: h.condition('echo', 'ExternalChange')?.status, replicas: h.cluster.replicasOf(NS, 'echo') }).toEqual({
      external: 'False',
      replicas: 3,
    });
    await h.controller.stop();
  });

  it('reports an invalid spec as Ready=False InvalidSpec', async () => {
    const h = await harness();
    h.cluster.putAutoscaler(fas('bad', { minReplicas: 5, maxReplicas: 2 }));
    await started(h);
    expect(h.condition('bad', 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidSpec' });
    expect(h.condition('bad', 'Ready')?.message).toMatch(/minReplicas/);
    await h.controller.stop();
  });

  it('decides what the decision step decides, for the same observations and state', async () => {
    // The controller's policy and rails are the registry's hpa and real Rails; the same
    // observations, fed to a fresh pair through decisionStep, must give the same decisions.
    const seen: Array<{ obs: Observation; now: number }> = [];
    let railsConfig: RailsConfig | undefined;
    const h = await harness({
      createPolicy: async (spec, deps) => {
        const inner = await registryCreatePolicy(spec, deps);
        return {
          name: inner.name,
          recommend: (obs, now) => (seen.push({ obs, now }), inner.recommend(obs, now)),
          reset: () => inner.reset(),
          dispose: () => inner.dispose(),
        };
      },
      createRails: (c) => ((railsConfig = c), new Rails(c)),
    });
    h.cluster.putDeployment(NS, 'echo', 2, { cpu: '100m' });
    h.cluster.putAutoscaler(fas('echo', { policy: { name: 'hpa' }, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } }));
    const decided: Array<[number, string]> = [];
    const loads = [0.45, 0.9, 0.3, 0.05, 0.05, 0.6, 0.05];
    for (const [i, cpuCores] of loads.entries()) {
      h.prom.set(`echo.${NS}`, { rps: 10, cpuCores, pods: h.cluster.replicasOf(NS, 'echo') });
      if (i === 0) await started(h);
      else await h.clock.advance(30_000);
      const d = h.status('echo').lastDecision!;
      decided.push([d.desiredReplicas!, d.reason!]);
    }
    await h.controller.stop();
    expect(seen).toHaveLength(loads.length);
    const policy = await registryCreatePolicy({ name: 'hpa' }, { minReplicas: 1, maxReplicas: 10, sloP95Ms: 500, intervalSeconds: 30 });
    const rails = new Rails(railsConfig!);
    const replayed = seen.map(({ obs, now }) => {
      const d = decisionStep(policy, obs, { rails, currentReplicas: obs.replicas, now });
      return [d.desiredReplicas, d.reason] as [number, string];
    });
    expect(replayed).toEqual(decided);
    // The scenario exercised the rails: up, a stabilized scale-down, and down.
    expect(new Set(decided.map(([n]) => n)).size).toBeGreaterThan(2);
    expect(decided.some(([, r]) => /stabiliz/.test(r))).toBe(true);
  });

  it.each([
    ['a fraction', () => 2.5, /recommended 2\.5 replicas, not a whole number ≥ 0/],
    ['NaN', () => NaN, /recommended NaN replicas, not a whole number ≥ 0/],
    ['a negative count', () => -1, /recommended -1 replicas, not a whole number ≥ 0/],
    ['Infinity', () => Infinity, /recommended Infinity replicas, not a whole number ≥ 0/],
    [
      'a throw',
      (): number => {
        throw new Error('boom');
      },
      /keda cannot decide: policy keda failed: boom/,
    ],
  ])('a policy that returns %s holds the scale with a reason; the other resources carry on', async (_what, desired, reason) => {
    const h = await harness({
      createPolicy: async (spec) => {
        if (spec.name === 'knative') return perTenRps('knative');
        return {
          name: 'keda',
          recommend: () => ({ valid: true as const, desiredReplicas: desired(), reason: 'odd' }),
          reset() {},
          dispose() {},
        };
      },
    });
    h.cluster.putDeployment(NS, 'odd', 3);
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('odd', { policy: { name: 'keda' } }));
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`odd.${NS}`, { rps: 45, cpuCores: 0.05 });
    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05 });
    await started(h);
    await h.clock.advance(30_000);
    expect(h.status('odd').lastDecision).toMatchObject({ desiredReplicas: 3, reason: expect.stringMatching(reason) });
    expect(h.status('odd').lastDecision?.reason).toMatch(/^holding 3: /);
    expect([h.cluster.replicasOf(NS, 'odd'), h.cluster.replicasOf(NS, 'echo')]).toEqual([3, 5]);
    await h.controller.stop();
  });

  it("a fault that escapes one resource's reconcile is reported on it; the others carry on, and it is tried again", async () => {
    let broken = true;
    const h = await harness({
      buildObservation: (window, requests) => {
        if (broken && window.functionName.startsWith('bad.')) throw new TypeError('cannot read the window');
        return buildObservation(window, requests);
      },
    });
    h.cluster.putDeployment(NS, 'bad', 2);
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('bad', {}));
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`bad.${NS}`, { rps: 45, cpuCores: 0.05 });
    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05 });
    await started(h);
    expect(h.condition('bad', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReconcileError',
      message: 'reconcile failed: cannot read the window',
    });
    expect(h.cluster.events.filter((e) => e.reason === 'ReconcileError').map((e) => e.message)).toEqual([
      'reconcile failed: cannot read the window',
    ]);
    expect([h.cluster.replicasOf(NS, 'bad'), h.cluster.replicasOf(NS, 'echo')]).toEqual([2, 5]);
    expect(await counterValue(h, 'faas_autoscaler_reconcile_errors_total')).toBe(1);
    broken = false;
    await h.clock.advance(30_000);
    expect(h.condition('bad', 'Ready')).toMatchObject({ status: 'True', reason: 'Reconciled' });
    expect(h.cluster.replicasOf(NS, 'bad')).toBe(5);
    await h.controller.stop();
  });

  it("no spec exceeds the operator's limits: 1 → 3000 goes ×10 per decision up to the ceiling, and says so", async () => {
    const h = await harness({ limits: { maxReplicas: 500, maxScaleUpFactor: 10 } });
    h.cluster.putDeployment(NS, 'huge', 1);
    h.cluster.putAutoscaler(fas('huge', { minReplicas: 3000, maxReplicas: 3000, policy: { name: 'static', params: { replicas: 3000 } } }));
    h.prom.set(`huge.${NS}`, { rps: 1, cpuCores: 0.05 });
    const rows: Array<[number | undefined, string | undefined, string | undefined]> = [];
    await started(h);
    for (let i = 0; i < 4; i++) {
      rows.push([
        h.cluster.replicasOf(NS, 'huge'),
        h.status('huge').lastDecision?.limitedBy,
        h.condition('huge', 'ScalingLimited')?.reason,
      ]);
      await h.clock.advance(30_000);
    }
    expect(rows).toEqual([
      [10, 'operator-scale-up', 'OperatorScaleUp'],
      [100, 'operator-scale-up', 'OperatorScaleUp'],
      [500, 'operator-max-replicas', 'OperatorMaxReplicas'],
      [500, 'operator-max-replicas', 'OperatorMaxReplicas'],
    ]);
    expect(h.status('huge').lastDecision?.reason).toMatch(/limited to 500 by the operator's ceiling of 500 replicas \(wanted 3000\)$/);
    await h.controller.stop();
  });

  it("refuses a function in another namespace than the resource's own, unless allowed", async () => {
    for (const functionNamespaces of [[], ['other-team']]) {
      const h = await harness({ limits: { maxReplicas: 500, maxScaleUpFactor: 10, functionNamespaces } });
      h.cluster.putDeployment('other-team', 'theirs', 1);
      h.cluster.putAutoscaler(fas('theirs', { functionNamespace: 'other-team' }));
      h.prom.set('theirs.other-team', { rps: 45, cpuCores: 0.05 });
      await started(h);
      if (functionNamespaces.length === 0) {
        expect(h.condition('theirs', 'Ready')).toMatchObject({
          status: 'False',
          reason: 'InvalidSpec',
          message: expect.stringMatching(
            /^spec\.functionNamespace other-team is not this FunctionAutoscaler's namespace \(openfaas-fn\); the operator scales functions outside a resource's own namespace only in none \(--function-namespaces\)$/,
          ),
        });
        expect(h.cluster.replicasOf('other-team', 'theirs')).toBe(1);
      } else {
        expect(h.cluster.replicasOf('other-team', 'theirs')).toBe(5);
      }
      await h.controller.stop();
    }
  });

  it('never overwrites a count someone else set after the decision; decides again from it at once', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05 }); // the policy wants 5
    // Someone scales to 8 between the decision (from 1) and the write.
    h.cluster.beforeNext('readScale', () => h.cluster.putDeployment(NS, 'echo', 8));
    await started(h);
    expect(h.cluster.calls.filter((c) => c.startsWith('replaceScale'))).toEqual([]);
    expect(h.condition('echo', 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ScaleFailed',
      message: expect.stringMatching(/replicas changed from 1 to 8 by someone else/),
    });
    // The next try (a back-off, not a whole interval) decides from 8: down to 5.
    await h.clock.advance(2_000);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(5);
    await h.controller.stop();
  });

  it('does not scale for a FunctionAutoscaler deleted during the tick', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 45, cpuCores: 0.05 });
    h.cluster.beforeNext('readAutoscaler', () => h.cluster.deleteAutoscaler(NS, 'echo'));
    await started(h);
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(1);
    expect(h.cluster.calls.filter((c) => c.startsWith('replaceScale') || c.startsWith('readScale'))).toEqual([]);
    await h.controller.stop();
  });

  it('stop() lets the tick in flight finish before returning', async () => {
    const h = await harness();
    h.cluster.putDeployment(NS, 'echo', 1);
    h.cluster.putAutoscaler(fas('echo', {}));
    h.prom.set(`echo.${NS}`, { rps: 30, cpuCores: 0.05 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const query = h.prom.gateway.query.bind(h.prom.gateway);
    (h.prom.gateway as { query: typeof query }).query = async (q, at) => {
      await gate;
      return query(q, at);
    };
    await started(h); // the tick is now waiting on Prometheus
    let stopped = false;
    const stopping = h.controller.stop().then(() => (stopped = true));
    await h.clock.advance(0);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(h.cluster.replicasOf(NS, 'echo')).toBe(3);
  });
});

async function counterValue(h: Harness, name: string): Promise<number> {
  const metric = await h.controller.operatorMetrics.registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((a, v) => a + v.value, 0);
}
