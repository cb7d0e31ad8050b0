import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../src/observability/tracing';
import { useTestApi } from '../helpers/api';
import { signUp, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';

// Tracing must be on before the worker and the API are built (their hooks run in this order).
const exporter = new InMemorySpanExporter();
let tracing: Tracing | undefined;
beforeAll(() => {
  tracing = startTracing({ serviceName: 'parley-test', processor: new SimpleSpanProcessor(exporter) });
});
afterAll(async () => {
  await tracing?.shutdown();
});

const db = useTestDatabase();
const worker = useTestWorker(db, { tracing: () => tracing! });
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

describe('OpenTelemetry tracing', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(api());
  });

  it('connects one API request, its workflow and the activities in a single trace', async () => {
    const conversation = (await owner.client.POST('/v1/conversations', { body: {} })).data!;
    const caller = '0af7651916cd43dd8448eb211c80319c';
    const posted = await owner.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation.id }, query: { wait: true } },
      body: { content: 'I want to talk to a human' },
      headers: { traceparent: `00-${caller}-b7ad6b7169203331-01` },
    });
    expect(posted.data!.turn.outcome).toBe('escalate');

    // Workflow spans leave the sandbox through a sink; give the last ones a moment.
    let spans: ReadableSpan[] = [];
    for (let i = 0; i < 50; i++) {
      spans = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === caller);
      if (spans.some((s) => s.name === 'RunActivity:escalateConversation')) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const names = spans.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /v1/conversations/:id/messages',
        'StartWorkflow:chatTurn',
        'RunWorkflow:chatTurn',
        'StartActivity:loadTurnContext',
        'StartActivity:escalateConversation',
        'RunActivity:escalateConversation',
      ]),
    );
    // Every span hangs from another span of the trace, up to the request (whose parent is the caller's).
    const ids = new Set(spans.map((s) => s.spanContext().spanId));
    const server = spans.find((s) => s.name === 'POST /v1/conversations/:id/messages')!;
    expect(server.parentSpanId).toBe('b7ad6b7169203331');
    for (const span of spans) {
      if (span !== server) expect(ids.has(span.parentSpanId!)).toBe(true);
    }
    const byName = new Map(spans.map((s) => [s.name, s]));
    expect(byName.get('StartWorkflow:chatTurn')!.parentSpanId).toBe(server.spanContext().spanId);
    expect(byName.get('RunActivity:escalateConversation')!.parentSpanId).toBe(
      byName.get('StartActivity:escalateConversation')!.spanContext().spanId,
    );
  });
});
