/**
 * The gateway actuator: `POST /system/scale-function/{name}?namespace=ns` with basic auth, as the
 * OpenFaaS CLI and CE's own alert handler do. faas-netes answers 202. OpenFaaS CE rejects 0
 * ("replicas cannot be set to 0 in OpenFaaS CE") and clamps to 1..5, so a request for 0 is sent
 * as 1 and said so (`adjustedReason`); the clamp to 5 is the gateway's and shows up as the replica
 * count the controller reads next interval.
 */
import { ActuatorError, type Actuator, type ScaleResult, type ScaleTarget } from './types.js';

export interface GatewayActuatorOptions {
  url: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  /** OpenFaaS CE refuses 0 replicas; Pro with scale-to-zero accepts it. Default true (CE). */
  rejectsZero?: boolean;
}

export class OpenFaasGatewayActuator implements Actuator {
  readonly name = 'gateway' as const;
  private readonly base: string;
  constructor(private readonly opts: GatewayActuatorOptions) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  async scale(target: ScaleTarget, replicas: number): Promise<ScaleResult> {
    let sent = replicas;
    let adjustedReason: string | undefined;
    if (replicas === 0 && (this.opts.rejectsZero ?? true)) {
      sent = 1;
      adjustedReason = 'OpenFaaS CE rejects 0 replicas; sent 1';
    }
    const url = `${this.base}/system/scale-function/${encodeURIComponent(target.name)}?namespace=${encodeURIComponent(target.namespace)}`;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.username !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64')}`;
    }
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ serviceName: target.name, replicas: sent, namespace: target.namespace }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new ActuatorError('transient', `gateway ${this.base}: ${describeFetchError(err)}`, { cause: err });
    }
    const text = (await res.text().catch(() => '')).trim().slice(0, 200);
    if (res.status === 200 || res.status === 202) return { replicas: sent, attempts: 1, adjustedReason };
    const what = `gateway scale ${target.namespace}/${target.name}: HTTP ${res.status}${text ? `: ${text}` : ''}`;
    if (res.status === 404) throw new ActuatorError('not-found', what);
    if (res.status === 429 || res.status >= 500) throw new ActuatorError('transient', what);
    throw new ActuatorError('rejected', what);
  }
}

function describeFetchError(err: unknown): string {
  const e = err as { name?: unknown; cause?: { code?: unknown }; message?: unknown };
  if (e?.name === 'TimeoutError') return 'time-out';
  return typeof e?.cause?.code === 'string' ? e.cause.code : String(e?.message ?? err);
}
