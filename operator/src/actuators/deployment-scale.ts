/**
 * The default actuator: the Deployment's `/scale` subresource, as the HPA uses it. faas-netes runs
 * each function as a Deployment of the same name, so this works for OpenFaaS CE and Pro alike and
 * needs only RBAC on `deployments/scale` — not the gateway's admin password (docs/adr).
 *
 * Read-then-replace with the resourceVersion read, so a change we never saw is never overwritten:
 * - the count read is not the one the decision was made from (`decidedFrom`): someone else scaled
 *   since; nothing is written, and the controller decides again from the new count (a `conflict`);
 * - 409 on the write (the Deployment changed between our read and write, often only its status):
 *   read again; if the count is still the one decided from, write again (at most `attempts` times),
 *   else the same `conflict`.
 */
import { KubeApiError, type ClusterClient } from '../controller/kube.js';
import { ActuatorError, type Actuator, type ScaleResult, type ScaleTarget } from './types.js';

export class DeploymentScaleActuator implements Actuator {
  readonly name = 'deployment-scale' as const;
  constructor(
    private readonly client: Pick<ClusterClient, 'readScale' | 'replaceScale'>,
    private readonly opts: { attempts?: number; onConflict?(target: ScaleTarget, attempt: number): void } = {},
  ) {}

  async scale(target: ScaleTarget, replicas: number): Promise<ScaleResult> {
    const attempts = this.opts.attempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        const current = await this.client.readScale(target.namespace, target.name);
        if (current.replicas === replicas) return { replicas, attempts: attempt };
        if (target.decidedFrom !== undefined && current.replicas !== target.decidedFrom) {
          throw new ActuatorError(
            'conflict',
            `deployment ${target.namespace}/${target.name}: replicas changed from ${target.decidedFrom} to ${current.replicas} by someone else since the decision; not overwriting it, deciding again from ${current.replicas}`,
          );
        }
        const written = await this.client.replaceScale(target.namespace, target.name, replicas, current.resourceVersion);
        return { replicas: written.replicas, attempts: attempt };
      } catch (err) {
        if (err instanceof ActuatorError) throw err;
        if (err instanceof KubeApiError && err.conflict && attempt < attempts) {
          this.opts.onConflict?.(target, attempt);
          continue;
        }
        throw toActuatorError(target, err);
      }
    }
  }
}

function toActuatorError(target: ScaleTarget, err: unknown): ActuatorError {
  const where = `deployment ${target.namespace}/${target.name}`;
  if (err instanceof KubeApiError) {
    if (err.notFound) return new ActuatorError('not-found', `${where} not found`, { cause: err });
    if (err.conflict) return new ActuatorError('conflict', `${where}: still conflicting after retries: ${err.message}`, { cause: err });
    if (err.transient) return new ActuatorError('transient', `${where}: ${err.message}`, { cause: err });
    return new ActuatorError('rejected', `${where}: ${err.message}`, { cause: err });
  }
  return new ActuatorError('transient', `${where}: ${String(err)}`, { cause: err });
}
