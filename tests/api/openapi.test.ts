import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateSpec, validateSpecConfig } from '@tsoa/cli';
import type { Config } from '@tsoa/runtime';
import { projectRoot } from '../../src/lib/paths';
import { refineSpecFile } from '../../scripts/refine-openapi';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';

const db = useTestDatabase();
const api = useTestApi(db, {
  configure: (c) => ({ ...c, cors: { origins: ['https://console.example.com'] } }),
});

const committedSpec = path.join(projectRoot, 'openapi', 'openapi.json');

describe('OpenAPI spec and generated client', () => {
  let scratch: string;
  beforeAll(() => {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-openapi-'));
  });
  afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

  it('committed spec matches the controllers (run `npm run openapi` when this fails)', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(projectRoot, 'tsoa.json'), 'utf8')) as Config;
    const specConfig = await validateSpecConfig({
      ...config,
      spec: { ...config.spec, outputDirectory: scratch },
    });
    await generateSpec(specConfig);
    refineSpecFile(path.join(scratch, 'openapi.json'));
    const fresh = fs.readFileSync(path.join(scratch, 'openapi.json'), 'utf8');
    expect(fresh).toBe(fs.readFileSync(committedSpec, 'utf8'));
  }, 180_000); // tsoa type-checks every controller: a minute or more on a busy 2-core machine

  it('committed client matches the spec (run `npm run client` when this fails)', () => {
    const output = path.join(scratch, 'schema.d.ts');
    const result = spawnSync(
      path.join(projectRoot, 'node_modules', '.bin', 'openapi-typescript'),
      [committedSpec, '--output', output],
      { cwd: projectRoot, encoding: 'utf8' },
    );
    expect(result.status).toBe(0);
    const committed = fs.readFileSync(path.join(projectRoot, 'src', 'client', 'schema.d.ts'), 'utf8');
    expect(fs.readFileSync(output, 'utf8')).toBe(committed);
  });

  it('documents security and problem+json errors on every operation', () => {
    const spec = JSON.parse(fs.readFileSync(committedSpec, 'utf8')) as {
      paths: Record<
        string,
        Record<string, { security?: unknown[]; responses: Record<string, { content?: object }> }>
      >;
    };
    // An organization deletion's status outlives the organization and every credential of it: its
    // random id, given only to the owner who asked, is the key.
    const publicOperations =
      /^(\/healthz|\/readyz|\/v1\/auth\/(signup|login|refresh|logout|password-reset.*|verify-email|accept-invitation)|\/v1\/organization-deletions\/\{deletionId\})$/;
    for (const [route, operations] of Object.entries(spec.paths)) {
      if (!route.startsWith('/v1/')) continue;
      for (const [method, operation] of Object.entries(operations)) {
        const where = `${method.toUpperCase()} ${route}`;
        if (!publicOperations.test(route))
          expect([where, operation.security]).toEqual([where, [expect.anything()]]);
        const errors = Object.entries(operation.responses).filter(([status]) => Number(status) >= 400);
        expect([where, errors.length > 0]).toEqual([where, true]);
        for (const [status, response] of errors) {
          expect([where, status, Object.keys(response.content ?? {})]).toEqual([
            where,
            status,
            ['application/problem+json'],
          ]);
        }
      }
    }
  });
});

describe('API reference', () => {
  it('serves the committed spec at /openapi.json', async () => {
    const res = await fetch(`${api().baseUrl}/openapi.json`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(fs.readFileSync(committedSpec, 'utf8'));
  });

  it('serves a reference page at /docs whose assets come from this server, not a CDN', async () => {
    const res = await fetch(`${api().baseUrl}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      expect(source.startsWith('/')).toBe(true);
      expect((await fetch(`${api().baseUrl}${source}`)).status).toBe(200);
    }
  });
});

describe('HTTP protection', () => {
  it('sends security headers', async () => {
    const res = await fetch(`${api().baseUrl}/healthz`);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('strict-transport-security')).toBeTruthy();
  });

  it('allows configured origins only', async () => {
    const preflight = (origin: string) =>
      fetch(`${api().baseUrl}/v1/organization`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const allowed = await preflight('https://console.example.com');
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    const denied = await preflight('https://evil.example.com');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });
});
