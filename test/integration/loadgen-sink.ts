/**
 * A local HTTP sink for the load generator's tests: counts requests per path, records when each
 * arrived (performance.now(), same clock as the generator when run in-process) and answers as
 * the scenario says — a status, after a delay, by resetting the connection, or never.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export type SinkReply = { status: number; delayMs?: number } | { reset: true } | { hang: true };

export interface Sink {
  url: string;
  port: number;
  /** Requests received per path. */
  counts: Map<string, number>;
  /** Arrival times (performance.now()) in order of arrival, with their paths. */
  arrivals: { path: string; atMs: number; bytes: number }[];
  total(): number;
  close(): Promise<void>;
}

export async function startSink(reply: (path: string) => SinkReply = () => ({ status: 200 })): Promise<Sink> {
  const counts = new Map<string, number>();
  const arrivals: Sink['arrivals'] = [];
  const hanging = new Set<ServerResponse>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const atMs = performance.now();
    const path = req.url ?? '';
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      counts.set(path, (counts.get(path) ?? 0) + 1);
      arrivals.push({ path, atMs, bytes });
      const r = reply(path);
      if ('reset' in r) {
        req.socket.destroy();
      } else if ('hang' in r) {
        hanging.add(res);
      } else if (r.delayMs) {
        setTimeout(() => {
          res.statusCode = r.status;
          res.end('done');
        }, r.delayMs);
      } else {
        res.statusCode = r.status;
        res.end('done');
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    counts,
    arrivals,
    total: () => arrivals.length,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port that was just bound and released: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
