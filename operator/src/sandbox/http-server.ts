/** Listening and closing for the sandbox's small HTTP servers (gateway, cAdvisor, control). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on host:port (port 0: a free one) and resolves to the base URL, e.g. `http://127.0.0.1:40123`. */
export async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return baseUrl(server);
}

export function baseUrl(server: Server): string {
  const a = server.address() as AddressInfo;
  return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
}

/** Drops every connection (in-flight requests included) and stops listening. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
