import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinoHttp } from 'pino-http';
import { errorHandler } from '../../src/api/error-handler';
import { createKnex } from '../../src/db/knex';
import { createLogger } from '../../src/lib/logger';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db);
const apiWithoutTemporal = useTestApi(db, { temporalAddress: '127.0.0.1:1' });
const unreachableDatabase = createKnex({ url: 'postgres://postgres@127.0.0.1:1/parley', poolMax: 1 });
const apiWithoutDatabase = useTestApi(() => unreachableDatabase);
afterAll(() => unreachableDatabase.destroy());

describe('HTTP foundation', () => {
  it('answers /healthz while the process is up', async () => {
    const res = await fetch(`${api().baseUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when PostgreSQL and Temporal are reachable', async () => {
    await api().temporal.getClient(10_000);
    const res = await fetch(`${api().baseUrl}/readyz`);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
    expect(res.status).toBe(200);
  });

  it('answers /readyz with 503 naming Temporal when it is unreachable', async () => {
    const res = await fetch(`${apiWithoutTemporal().baseUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: 'unavailable',
      checks: { database: 'ok', temporal: 'unavailable' },
    });
  });

  it('answers 503, without internals, when PostgreSQL is unreachable', async () => {
    const res = await fetch(`${apiWithoutDatabase().baseUrl}/v1/organization`, {
      headers: { authorization: `Bearer prly_${'x'.repeat(43)}` },
    });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const { type, ...problem } = JSON.parse(text) as { type: string };
    expect(type).toBe(`${apiWithoutDatabase().baseUrl}/problems/service-unavailable`);
    expect(problem).toMatchObject({ detail: 'The database is unreachable; try again shortly.' });
    // Nothing of the connection that failed (the type URI is the API's own public address).
    expect(JSON.stringify(problem)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|api_keys/);
  });

  it('answers an unknown route with a problem+json 404 carrying the request id', async () => {
    const res = await fetch(`${api().baseUrl}/no/such/route`, { headers: { 'X-Request-Id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect(await res.json()).toMatchObject({
      type: `${api().baseUrl}/problems/not-found`,
      status: 404,
      title: 'Not found',
      detail: 'GET /no/such/route was not found.',
      requestId: 'req-123',
    });
  });

  it('rejects malformed JSON with 400 and oversized bodies with 413', async () => {
    const post = (body: string) =>
      fetch(`${api().baseUrl}/healthz`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    const malformed = await post('{"a":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ type: `${api().baseUrl}/problems/bad-request` });
    const oversized = await post(JSON.stringify({ a: 'x'.repeat(2 * 1024 * 1024) }));
    expect(oversized.status).toBe(413);
    expect(await oversized.json()).toMatchObject({ type: `${api().baseUrl}/problems/payload-too-large` });
  });

  it('reports an unexpected error as a generic 500 without internals', async () => {
    const app = express();
    app.use(pinoHttp({ logger: createLogger({ level: 'silent', name: 'test' }) }));
    app.get('/boom', () => {
      throw new Error('relation "secret_table" does not exist at Query.run (/srv/app/db.js:10:5)');
    });
    app.use(errorHandler);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(text).not.toMatch(/secret_table|db\.js|Query\.run/);
      expect(JSON.parse(text)).toMatchObject({
        type: `http://127.0.0.1:${(server.address() as AddressInfo).port}/problems/internal`,
        status: 500,
      });
    } finally {
      server.close();
    }
  });
});
