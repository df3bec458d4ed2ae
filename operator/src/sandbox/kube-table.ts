/**
 * Server-side printing (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`), which is what
 * `kubectl get` asks for: a meta.k8s.io/v1 Table whose columns come from the CRD's
 * additionalPrinterColumns (custom resources) or from the built-in printers (Deployments,
 * Events, ...). Dates are printed as ages with the API server's HumanDuration.
 */
import type { PrinterColumn } from '../api/crd.js';

export interface TableColumn {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

export interface TableConvertor {
  columns: TableColumn[];
  /** One row's cells, in column order; `now` in ms for ages. */
  cells(obj: Obj, now: number): unknown[];
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumn[];
  rows: { cells: unknown[]; object?: unknown }[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export const NAME_COLUMN: TableColumn = {
  name: 'Name',
  type: 'string',
  format: 'name',
  description:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.',
  priority: 0,
};

export function column(name: string, type: string, description: string, extra: { priority?: number; format?: string } = {}): TableColumn {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.trunc(days / 365)}y` : `${Math.trunc(days / 365)}y${days % 365}d`;
  return `${Math.trunc(days / 365)}y`;
}

/** Age of an RFC 3339 timestamp, or `<unknown>` like kubectl. */
export function age(timestamp: unknown, now: number): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? '<unknown>' : humanDuration(now - t);
}

/**
 * The JSONPath subset printer columns use: `.a.b`, `.a[0].b`, `.a[?(@.type=="Ready")].status`.
 * Returns undefined when any step is missing.
 */
export function jsonPath(obj: unknown, path: string): unknown {
  const steps = path.match(/\.[^.[]+|\[\?\(@\.[^)]*\)\]|\[\d+\]/g) ?? [];
  let node: unknown = obj;
  for (const step of steps) {
    if (node === undefined || node === null) return undefined;
    if (step.startsWith('[?')) {
      const m = /^\[\?\(@\.([\w.]+)\s*==\s*["']([^"']*)["']\)\]$/.exec(step);
      if (!m || !Array.isArray(node)) return undefined;
      node = node.find((item) => jsonPath(item, `.${m[1]}`) === m[2]);
    } else if (step.startsWith('[')) {
      node = Array.isArray(node) ? node[Number(step.slice(1, -1))] : undefined;
    } else {
      node = typeof node === 'object' ? (node as Record<string, unknown>)[step.slice(1)] : undefined;
    }
  }
  return node;
}

/** Columns from a CRD's additionalPrinterColumns (Name first, as the API server does). */
export function printerColumnConvertor(printerColumns: readonly PrinterColumn[] | undefined): TableConvertor {
  const cols: PrinterColumn[] = printerColumns?.length
    ? [...printerColumns]
    : [
        {
          name: 'Age',
          type: 'date',
          jsonPath: '.metadata.creationTimestamp',
          description: 'CreationTimestamp is a timestamp representing the server time when this object was created.',
        },
      ];
  return {
    columns: [
      NAME_COLUMN,
      ...cols.map((c) => column(c.name, c.type, c.description ?? '', { priority: c.priority ?? 0, format: c.format ?? '' })),
    ],
    cells(obj, now) {
      return [
        obj.metadata?.name,
        ...cols.map((c) => {
          const v = jsonPath(obj, c.jsonPath);
          if (v === undefined || v === null) return null;
          return c.type === 'date' ? age(v, now) : v;
        }),
      ];
    },
  };
}

/** What the API server prints for kinds without a printer: Name and Created At. */
export const defaultConvertor: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.'),
  ],
  cells: (obj) => [obj.metadata?.name, obj.metadata?.creationTimestamp],
};

export function toTable(
  convertor: TableConvertor,
  objects: readonly Obj[],
  opts: { now: number; resourceVersion?: string; includeObject?: IncludeObject },
): Table {
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {},
    columnDefinitions: convertor.columns,
    rows: objects.map((obj) => ({
      cells: convertor.cells(obj, opts.now),
      ...(include === 'None'
        ? {}
        : { object: include === 'Object' ? obj : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata } }),
    })),
  };
}
