/**
 * The integrator's smoke flow, run by scripts/client-smoke.sh with a client that @hey-api/openapi-ts
 * generated from openapi/openapi.json (copied next to this file as ./client; this file is type-checked
 * against it there, which is why the project's own tsc and eslint leave it out). Sign up → API key →
 * webhook endpoint on a local receiver → upload → ready → ask → escalate → ticket reply → the webhooks,
 * each signature verified with standardwebhooks → export (NDJSON) → delete the organization. Any step
 * that does not hold throws: exit code 1.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { client } from './client/client.gen';
import {
  createApiKey,
  createConversation,
  createWebhookEndpoint,
  deleteOrganization,
  exportOrganization,
  getDocument,
  getOrganization,
  getOrganizationDeletion,
  listTickets,
  postMessage,
  replyToTicket,
  signUp,
  uploadDocument,
  type WebhookEventType,
} from './client';

const baseUrl = process.env.SMOKE_API_URL ?? 'http://127.0.0.1:3998';
const started = Date.now();

function step(name: string): void {
  console.log(`client-smoke: ${((Date.now() - started) / 1000).toFixed(1)}s ${name}`);
}

function check(condition: unknown, what: string, detail?: unknown): asserts condition {
  if (!condition)
    throw new Error(`client-smoke: ${what}${detail === undefined ? '' : `: ${JSON.stringify(detail)}`}`);
}

async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`client-smoke: timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

interface Received {
  id: string;
  type: string;
  verified: boolean;
}

/** A local HTTP receiver that verifies each request's Standard Webhooks signature. */
async function startReceiver(received: Received[], secret: () => string): Promise<string> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      let verified = false;
      try {
        new Webhook(secret()).verify(body, headers);
        verified = true;
      } catch (error) {
        console.error(`client-smoke: signature refused: ${String(error)}`);
      }
      const event = JSON.parse(body) as { type: string };
      received.push({ id: headers['webhook-id'] ?? '', type: event.type, verified });
      res.writeHead(verified ? 204 : 400).end();
    });
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
}

async function main(): Promise<void> {
  client.setConfig({ baseUrl });

  step('sign up');
  const email = `smoke-${Date.now()}@example.com`;
  const signedUp = await signUp({
    body: {
      organizationName: 'Smoke Test Co',
      name: 'Smoke Owner',
      email,
      password: 'correct horse battery staple',
    },
  });
  check(signedUp.data, 'sign-up failed', signedUp.error);
  const session = signedUp.data;

  step('API key');
  const key = await createApiKey({ body: { name: 'smoke' }, auth: session.accessToken });
  check(key.data, 'creating an API key failed', key.error);
  client.setConfig({ baseUrl, auth: key.data.key });

  step('webhook endpoint on a local receiver');
  const received: Received[] = [];
  let secret = '';
  const url = await startReceiver(received, () => secret);
  const eventTypes: WebhookEventType[] = [
    'document.ready',
    'conversation.created',
    'turn.completed',
    'conversation.escalated',
    'ticket.created',
    'ticket.replied',
  ];
  const endpoint = await createWebhookEndpoint({ body: { url, eventTypes } });
  check(endpoint.data, 'creating a webhook endpoint failed', endpoint.error);
  secret = endpoint.data.secret;

  step('upload a document');
  const text =
    'Opening hours\n\nOur support team answers chats Monday to Friday, 9:00 to 18:00 CET.\n\n' +
    'Refunds\n\nA refund reaches your card within 5 business days of the approval.\n';
  const uploaded = await uploadDocument({
    body: { file: new File([text], 'help.txt', { type: 'text/plain' }), title: 'Help centre' },
  });
  check(uploaded.data, 'upload failed', uploaded.error);
  const documentId = uploaded.data.id;

  step('wait until it is ready');
  const ready = await until(
    async () => (await getDocument({ path: { id: documentId } })).data,
    (d) => d?.status === 'ready' || d?.status === 'failed',
    'the document to be ingested',
    90_000,
  );
  check(ready?.status === 'ready', 'ingestion failed', ready);

  step('ask');
  const conversation = await createConversation({ body: { visitorName: 'Smoke Visitor' } });
  check(conversation.data, 'creating a conversation failed', conversation.error);
  const conversationId = conversation.data.id;
  const asked = await postMessage({
    path: { id: conversationId },
    query: { wait: true },
    body: { content: 'When does your support team answer chats?' },
  });
  check(asked.data, 'asking failed', asked.error);
  check(asked.data.turn.outcome === 'answer', 'the question was not answered', asked.data.turn);
  check(
    asked.data.turn.reply?.content.includes('Monday to Friday'),
    'the answer misses the fact',
    asked.data.turn,
  );

  step('escalate');
  const escalated = await postMessage({
    path: { id: conversationId },
    query: { wait: true },
    body: { content: 'Can I talk to a real person please?' },
  });
  check(
    escalated.data?.turn.outcome === 'escalate',
    'the request for a person was not escalated',
    escalated.data ?? escalated.error,
  );
  const ticket = await until(
    async () =>
      (await listTickets({ query: { status: 'open' } })).data?.items.find(
        (t) => t.conversationId === conversationId,
      ),
    (t) => t !== undefined,
    'the ticket',
    30_000,
  );
  check(ticket, 'no ticket');

  step('ticket reply');
  const reply = await replyToTicket({
    path: { id: ticket.id },
    body: { content: 'Hello, a person here. How can I help?' },
  });
  check(reply.data, 'the ticket reply failed', reply.error);

  step('webhooks');
  await until(
    async () => new Set(received.filter((r) => r.verified).map((r) => r.type)),
    (types) => eventTypes.every((t) => types.has(t)),
    `webhooks of every type (${eventTypes.join(', ')}) with valid signatures`,
    60_000,
  );
  const unverified = received.filter((r) => !r.verified);
  check(unverified.length === 0, 'webhooks whose signature did not verify', unverified);
  step(`${received.length} webhooks received and verified`);

  step('export the organization (NDJSON)');
  const exported = await exportOrganization({ parseAs: 'text' });
  check(typeof exported.data === 'string', 'the export failed', exported.error);
  const records = exported.data
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string });
  const types = new Set(records.map((r) => r.type));
  for (const type of [
    'organization',
    'member',
    'document',
    'message',
    'ticket',
    'ticket_event',
    'webhook_endpoint',
  ]) {
    check(types.has(type), `the export has no ${type} record`, [...types]);
  }

  step('delete the organization');
  const deletion = await deleteOrganization({
    body: { confirm: 'Smoke Test Co' },
    auth: session.accessToken,
  });
  check(deletion.data, 'the deletion was refused', deletion.error);
  const deletionId = deletion.data.id;
  await until(
    async () => (await getOrganizationDeletion({ path: { deletionId } })).data?.status,
    (status) => status === 'deleted' || status === 'failed',
    'the deletion to finish',
    60_000,
  );
  const gone = await getOrganizationDeletion({ path: { deletionId } });
  check(gone.data?.status === 'deleted', 'the deletion did not finish', gone.data ?? gone.error);
  const refused = await getOrganization();
  check(
    refused.response.status === 401,
    "the deleted organization's API key still works",
    refused.response.status,
  );
  step('passed');
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
