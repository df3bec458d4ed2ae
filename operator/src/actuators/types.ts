/**
 * Actuators set the replica count of one function. The controller decides; an actuator only
 * carries the number out and says what happened, with errors typed so the controller can choose
 * between "retry later" (transient), "the function is gone" (not found) and "this is a bug".
 */

export interface ScaleTarget {
  /** Deployment / function name. */
  name: string;
  namespace: string;
  /**
   * The replica count the decision was made from. When the function no longer has it (someone
   * else scaled it meanwhile), the write is not made: a `conflict`, decided again from the new count.
   */
  decidedFrom?: number;
}

export interface ScaleResult {
  /** Replicas the target asks for after the call. */
  replicas: number;
  /** Attempts made (more than 1 after 409 conflicts). */
  attempts: number;
  /** Set when the actuator had to change the number (e.g. OpenFaaS CE refuses 0 → 1). */
  adjustedReason?: string;
}

export type ActuatorErrorKind = 'not-found' | 'conflict' | 'transient' | 'rejected';

export class ActuatorError extends Error {
  readonly kind: ActuatorErrorKind;
  constructor(kind: ActuatorErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActuatorError';
    this.kind = kind;
  }
}

export interface Actuator {
  readonly name: 'deployment-scale' | 'gateway';
  scale(target: ScaleTarget, replicas: number): Promise<ScaleResult>;
}
