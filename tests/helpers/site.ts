import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local web server on an ephemeral 127.0.0.1 port for the suite; returns its base URL. */
export function useTestSite(handler: RequestListener): () => string {
  let server: Server | undefined;
  let baseUrl = '';

  beforeAll(async () => {
    server = createServer(handler);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    // Drop responses a test left hanging (the slow route), then stop listening.
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  return () => baseUrl;
}
