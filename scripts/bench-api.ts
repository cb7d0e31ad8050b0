import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import autocannon from 'autocannon';
import { createParleyClient } from '../src/client';
import { loadConfigOrExit } from '../src/config';
import { createKnex } from '../src/db/knex';
import { projectRoot } from '../src/lib/paths';

/**
 * `npm run bench:api`: 100 concurrent connections against list and detail endpoints, as a signed-in
 * member. Prints p50/p95/p99 latency, throughput and error rate for each. Starts its own API (rate
 * limits lifted, quiet logs) on DATABASE_URL after migrating it, or measures API_URL when set.
 * BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 100) tune the run.
 */

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForHealth(baseUrl: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('the API did not become healthy in 30 s');
}

async function startApi(): Promise<{ baseUrl: string; child: ChildProcess }> {
  const config = loadConfigOrExit();
  const knex = createKnex({ url: config.database.url, poolMax: 1 });
  await knex.migrate.latest().finally(() => knex.destroy());
  const port = await freePort();
  const child = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['src/api/server.ts'], {
    cwd: projectRoot,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: String(port),
      // Quiet: the bench counts errors itself, and no mail server is expected (sign-up mails fail).
      LOG_LEVEL: 'fatal',
      RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
      RATE_LIMIT_API_KEY_PER_MINUTE: '1000000',
      RATE_LIMIT_ORGANIZATION_PER_MINUTE: '1000000',
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, child);
  return { baseUrl, child };
}

/** A tenant with enough rows for lists to page: 40 API keys. */
async function seedTenant(baseUrl: string): Promise<{ token: string; keyId: string; memberId: string }> {
  const email = `bench-${Date.now()}@example.com`;
  const signUp = await createParleyClient(baseUrl).POST('/v1/auth/signup', {
    body: { organizationName: 'Bench', name: 'Bench Owner', email, password: 'bench-password' },
  });
  if (!signUp.data) throw new Error(`sign-up failed: ${signUp.response.status}`);
  const token = signUp.data.accessToken;
  const client = createParleyClient(baseUrl, token);
  let keyId = '';
  for (let i = 0; i < 40; i++) {
    const { data } = await client.POST('/v1/api-keys', { body: { name: `bench key ${i}` } });
    keyId = data!.id;
  }
  const members = await client.GET('/v1/members');
  return { token, keyId, memberId: members.data!.items[0]!.id };
}

const percentile = (sorted: number[], p: number): number =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function measure(
  url: string,
  token: string,
  duration = seconds,
): Promise<autocannon.Result & { latencies: number[] }> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url, connections, duration, headers: { authorization: `Bearer ${token}` } },
      (error, outcome) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(outcome),
    );
    instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  });
  // Let the requests still queued in the server finish before the next run (or the shutdown).
  await sleep(2000);
  return { ...result, latencies: latencies.sort((a, b) => a - b) };
}

function report(name: string, result: autocannon.Result & { latencies: number[] }): string {
  const { latencies } = result;
  const failed = result.errors + result.timeouts + result.non2xx;
  const total = result.requests.total + result.errors + result.timeouts;
  return [
    name.padEnd(34),
    percentile(latencies, 50).toFixed(1).padStart(8),
    percentile(latencies, 95).toFixed(1).padStart(8),
    percentile(latencies, 99).toFixed(1).padStart(8),
    result.requests.average.toFixed(0).padStart(8),
    `${((100 * failed) / Math.max(total, 1)).toFixed(2)}%`.padStart(8),
  ].join(' ');
}

async function main(): Promise<void> {
  const started = process.env.API_URL ? undefined : await startApi();
  const baseUrl = process.env.API_URL ?? started!.baseUrl;
  try {
    const { token, keyId, memberId } = await seedTenant(baseUrl);
    const targets: [string, string][] = [
      ['list   GET /v1/api-keys?limit=20', `${baseUrl}/v1/api-keys?limit=20`],
      ['list   GET /v1/members', `${baseUrl}/v1/members`],
      ['detail GET /v1/api-keys/{id}', `${baseUrl}/v1/api-keys/${keyId}`],
      ['detail GET /v1/members/{id}', `${baseUrl}/v1/members/${memberId}`],
      ['detail GET /v1/organization', `${baseUrl}/v1/organization`],
    ];
    console.log(`${connections} connections, ${seconds} s per endpoint, against ${baseUrl}\n`);
    await measure(targets[0]![1], token, 3); // warm-up: JIT and the connection pool
    console.log(`${'endpoint'.padEnd(34)}   p50 ms   p95 ms   p99 ms    req/s   errors`);
    for (const [name, url] of targets) console.log(report(name, await measure(url, token)));
  } finally {
    started?.child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
