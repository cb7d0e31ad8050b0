import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';
const api = useTestApi(db, {
  taskQueue: () => worker().taskQueue,
  configure: (config) => ({
    ...config,
    observability: { ...config.observability, metricsToken: METRICS_TOKEN },
  }),
});

/** The value of one sample in the Prometheus text format, 0 when the series does not exist yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((pair) => line.includes(pair))) return Number(line.split(' ').pop());
  }
  return 0;
}

async function scrapeApi(token = METRICS_TOKEN): Promise<Response> {
  return fetch(`${api().baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
}

const workerMetrics = () => worker().dependencies.metrics.registry.metrics();

describe('Prometheus metrics', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
  });

  it('refuses a scrape without the metrics token', async () => {
    const response = await scrapeApi('wrong-token-wrong-token');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('times API requests by route pattern and status, never by raw path', async () => {
    await owner.client.GET('/v1/conversations');
    const missing = '00000000-0000-4000-8000-000000000000';
    await owner.client.GET('/v1/conversations/{id}', { params: { path: { id: missing } } });
    await fetch(`${api().baseUrl}/no/such/page`);

    const response = await scrapeApi();
    expect(response.status).toBe(200);
    const text = await response.text();
    const count = 'parley_http_request_duration_seconds_count';
    expect(sample(text, count, { route: '/v1/conversations', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, count, { route: '/v1/conversations/:id', status: '404' })).toBe(1);
    expect(sample(text, count, { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(missing);
    expect(text).toContain('process_resident_memory_bytes');
  });

  it('counts ingestions, turns by outcome, abstentions and escalations where they happen', async () => {
    const form = new FormData();
    form.append(
      'file',
      new Blob(['# Returns\n\nReturns are free within 30 days of delivery.\n']),
      'returns.md',
    );
    const upload = await owner.client.POST('/v1/documents/upload', {
      body: { file: '' },
      bodySerializer: () => form,
    });
    for (let i = 0; i < 300; i++) {
      const { data } = await owner.client.GET('/v1/documents/{id}', {
        params: { path: { id: upload.data!.id } },
      });
      if (data?.status === 'ready') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sample(await workerMetrics(), 'parley_ingestions_total', { result: 'ready' })).toBe(1);

    const ask = async (content: string) => {
      const conversation = (await owner.client.POST('/v1/conversations', { body: {} })).data!;
      const posted = await owner.client.POST('/v1/conversations/{id}/messages', {
        params: { path: { id: conversation.id }, query: { wait: true } },
        body: { content },
      });
      return posted.data!.turn.outcome;
    };
    expect(await ask('How many days do I have to return an item?')).toBe('answer');
    expect(await ask('What is the airspeed of an unladen swallow?')).toBe('abstain');
    expect(await ask('Let me talk to a human agent please')).toBe('escalate');

    const text = await workerMetrics();
    expect(sample(text, 'parley_chat_turns_total', { outcome: 'answer' })).toBe(1);
    expect(sample(text, 'parley_chat_turns_total', { outcome: 'abstain' })).toBe(1);
    expect(sample(text, 'parley_chat_turns_total', { outcome: 'escalate' })).toBe(1);
    expect(sample(text, 'parley_abstentions_total')).toBe(1);
    expect(sample(text, 'parley_escalations_total', { ticket: 'opened' })).toBe(1);
  });
});
