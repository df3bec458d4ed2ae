/**
 * API errors as the Kubernetes API server returns them: a `Status` object with a reason and an
 * HTTP code, and messages worded like k8s.io/apimachinery/pkg/api/errors, because clients
 * (client-node, kubectl, our controller) branch on `code` and `reason` and print `message`.
 */
import { formatFieldErrors, type FieldError } from '../api/field-errors.js';

export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Gone'
  | 'Expired'
  | 'BadRequest'
  | 'MethodNotAllowed'
  | 'UnsupportedMediaType'
  | 'NotAcceptable'
  | 'Unauthorized'
  | 'Forbidden'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: { reason: string; message: string; field: string }[];
  retryAfterSeconds?: number;
}

export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** Names a resource the way error messages do: `deployments.apps`, `events`, `functionautoscalers.faas-autoscaler.dev`. */
export interface ResourceName {
  group: string;
  plural: string;
  kind: string;
}

function qualified(r: ResourceName): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): StatusObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

export function notFound(r: ResourceName, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(r)} ${JSON.stringify(name)} not found`, { name, group: r.group, kind: r.plural });
}

export function alreadyExists(r: ResourceName, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(r)} ${JSON.stringify(name)} already exists`, {
    name,
    group: r.group,
    kind: r.plural,
  });
}

export function conflict(
  r: ResourceName,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(r)} ${JSON.stringify(name)}: ${why}`, {
    name,
    group: r.group,
    kind: r.plural,
  });
}

export function invalid(r: ResourceName, name: string, errors: readonly FieldError[]): ApiError {
  const kind = r.group ? `${r.kind}.${r.group}` : r.kind;
  return new ApiError(422, 'Invalid', `${kind} ${JSON.stringify(name)} is invalid: ${formatFieldErrors(errors)}`, {
    name,
    group: r.group,
    kind: r.kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.path })),
  });
}

/** A watch or list from a resourceVersion the server no longer has (the watch cache's wording). */
export function expired(requested: number, oldest: number): ApiError {
  return new ApiError(410, 'Expired', `too old resource version: ${requested} (${oldest})`);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(): ApiError {
  return new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
}

export function unsupportedMediaType(accepted: readonly string[]): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function unauthorized(): ApiError {
  return new ApiError(401, 'Unauthorized', 'Unauthorized');
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** The error the API server returns for a code injected by a fault (see kube-faults.ts). */
export function errorForCode(code: number, r: ResourceName | undefined, name: string, message?: string): ApiError {
  switch (code) {
    case 409:
      return r ? conflict(r, name) : new ApiError(409, 'Conflict', message ?? 'conflict');
    case 410:
      return new ApiError(410, 'Gone', message ?? 'the resource is gone');
    case 429:
      return new ApiError(429, 'TooManyRequests', message ?? 'Too many requests, please try again later.', { retryAfterSeconds: 1 });
    case 503:
      return new ApiError(503, 'ServiceUnavailable', message ?? 'the server is currently unable to handle the request');
    case 504:
      return new ApiError(504, 'Timeout', message ?? 'the server was unable to return a response in the time allotted');
    default:
      return new ApiError(code, 'InternalError', message ?? 'Internal error occurred: injected fault');
  }
}
