import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { flushSentry, initSentry, reportError } from '../../src/observability/sentry';

/** Sentry's ingest endpoint is a network boundary: a local HTTP server stands in for sentry.io. */
describe('Sentry error reporting', () => {
  let server: Server;
  const envelopes: string[] = [];
  let dsn: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        envelopes.push((req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString());
        res.writeHead(200).end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    dsn = `http://0123456789abcdef0123456789abcdef@127.0.0.1:${(server.address() as AddressInfo).port}/42`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('stays off and sends nothing without a DSN', async () => {
    expect(await initSentry({ environment: 'test', serverName: 'parley-test' })).toBe(false);
    reportError(new Error('not reported'));
    await flushSentry(200);
    expect(envelopes).toHaveLength(0);
  });

  it('reports an unexpected error with its request and organization ids when a DSN is set', async () => {
    expect(await initSentry({ dsn, environment: 'test', serverName: 'parley-test' })).toBe(true);
    reportError(new Error('database on fire'), {
      requestId: 'req-1',
      organizationId: 'org-1',
      route: undefined,
    });
    await flushSentry(5_000);
    const event = envelopes.find((e) => e.includes('database on fire'));
    expect(event).toBeDefined();
    expect(event).toContain('"requestId":"req-1"');
    expect(event).toContain('"organizationId":"org-1"');
    expect(event).not.toContain('"route"');
  });
});
