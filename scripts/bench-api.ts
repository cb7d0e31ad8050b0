import autocannon from 'autocannon';
import { createParleyClient } from '../src/client';
import { runWithStack, spawnApi } from './lib/stack';
import { percentile, sleep } from './lib/stats';

/**
 * `npm run bench:api`: 100 concurrent connections against list and detail endpoints, as a signed-in
 * member. Prints p50/p95/p99 latency, throughput and error rate for each. Starts its own API (rate
 * limits lifted, quiet logs) on the bench database (see scripts/lib/stack.ts), or measures API_URL
 * when set. BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 100) tune the run.
 */

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);

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

runWithStack(async (stack) => {
  const baseUrl = process.env.API_URL ?? (await spawnApi(stack));
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
});
