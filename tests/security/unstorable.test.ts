import { Organization, type Ticket } from '../../src/db/models';
import { signUp, PASSWORD, type Account } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { ConsoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { buildTicket, eventsOf } from '../helpers/tickets';
import { VisitorSocket, widgetSession } from '../helpers/widget';

/**
 * Values PostgreSQL refuses (NUL in text, lone surrogates, out-of-range numbers), through each write
 * path: the API's JSON, the console's forms, the widget's frames and uploads. Each is refused at the
 * edge with the field named, and the ticket or conversation then still takes a normal change at
 * once. (Before, one NUL in a note failed its activity with SQLSTATE 22021 every 30 s forever, and
 * every later change to the ticket answered 503.)
 */

const db = useTestDatabase();
const worker = useTestWorker(db);
// A wedged ticket answers 503 after this long; the tests fail fast instead of waiting 15 s a call.
const api = useTestApi(db, {
  taskQueue: () => worker().taskQueue,
  configure: (config) => ({ ...config, temporal: { ...config.temporal, updateTimeoutMs: 5_000 } }),
});

const SITE = 'https://www.shop.example';
const POISON = [
  ['a NUL character', 'before\u0000after', /NUL/],
  ['a lone surrogate', 'before\uD800after', /surrogate/],
  ['a lone low surrogate', '\uDC00', /surrogate/],
] as const;

let owner: Account;
let widgetKey: string;
let ticket: Ticket;

beforeAll(async () => {
  owner = await signUp(api());
  const organizationId = owner.session.organization.id;
  widgetKey = (await Organization.query().findById(organizationId))!.widgetKey;
  await Organization.query().findById(organizationId).patch({ plan: 'pro' });
  ticket = await buildTicket(organizationId, { status: 'assigned', assigneeUserId: owner.session.user.id });
});

async function send(method: string, path: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${api().baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${owner.session.accessToken}`,
      'content-type': 'application/json',
      ...headers,
    },
    body: method === 'GET' ? undefined : body,
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: (text ? JSON.parse(text) : null) as Problem | null,
  };
}

interface Problem {
  type?: string;
  errors?: { field: string; message: string }[];
}

/** A note through the API: the proof that the ticket still takes a change, at once. */
async function noteTakes(content: string): Promise<void> {
  const started = Date.now();
  const note = await send('POST', `/v1/tickets/${ticket.id}/notes`, JSON.stringify({ content }));
  expect(note.status).toBe(201);
  expect(Date.now() - started).toBeLessThan(4_000);
  const events = await eventsOf(owner.session.organization.id, ticket.id);
  expect(events.some((e) => e.type === 'note' && e.data.content === content)).toBe(true);
}

describe('values PostgreSQL cannot store', () => {
  it('are refused with 422 and the field on the API (JSON bodies, queries), and the ticket takes the next note', async () => {
    for (const [, value, message] of POISON) {
      for (const kind of ['notes', 'replies']) {
        const answer = await send(
          'POST',
          `/v1/tickets/${ticket.id}/${kind}`,
          JSON.stringify({ content: value }),
        );
        expect(answer).toMatchObject({
          status: 422,
          type: expect.stringContaining('application/problem+json') as string,
          body: {
            type: `${api().baseUrl}/problems/validation`,
            errors: [{ field: 'body.content', message: expect.stringMatching(message) as string }],
          },
        });
        expect(JSON.stringify(answer.body)).not.toMatch(/22021|SQLSTATE|insert into|stack/i);
      }
      // Nested fields.
      const settings = await send(
        'PATCH',
        '/v1/organization/settings',
        JSON.stringify({ widget: { greeting: value } }),
      );
      expect(settings.body?.errors).toEqual([
        { field: 'body.widget.greeting', message: expect.stringMatching(message) as string },
      ]);
    }
    const search = await send('GET', '/v1/documents?q=a%00b', '');
    expect(search.body?.errors).toEqual([
      { field: 'query.q', message: expect.stringMatching(/NUL/) as string },
    ]);
    // Numbers out of range: beyond what JSON numbers carry exactly, not finite, beyond a column's type.
    for (const [body, field] of [
      ['{"content":"fine","status":1e400}', 'body.status'],
      ['{"content":"fine","clientMessageId":"k","n":12345678901234567890}', 'body.n'],
    ] as const) {
      const answer = await send('POST', `/v1/tickets/${ticket.id}/replies`, body);
      expect(answer.status).toBe(422);
      expect(answer.body?.errors).toContainEqual(expect.objectContaining({ field }));
    }
    const hours = await send(
      'PATCH',
      '/v1/organization/settings',
      JSON.stringify({ ticketRules: { autoCloseHours: 2 ** 31 } }),
    );
    expect(hours.body?.errors).toEqual([
      expect.objectContaining({ field: 'body.ticketRules.autoCloseHours' }),
    ]);
    await noteTakes('API: the ticket still takes a note.');
  });

  it('are refused by the console forms, and the ticket takes the next note', async () => {
    const agent = new ConsoleAgent(api().baseUrl);
    await agent.signIn(owner.email, PASSWORD);
    await agent.page(`/console/tickets/${ticket.id}`);
    for (const kind of ['notes', 'replies']) {
      const answer = await agent.post(`/console/tickets/${ticket.id}/${kind}`, {
        content: 'before\u0000after',
      });
      expect(answer.status).toBe(422);
      expect(answer.body).toMatch(/content/);
      expect(answer.body).toMatch(/NUL/);
    }
    await agent.page('/console/settings');
    const settings = await agent.post('/console/settings', {
      aiPersona: 'Lumi\u0000',
      'escalationRules.maxAbstentions': '99999999999',
    });
    expect(settings.status).toBe(422);
    // A form cannot carry a lone surrogate: its UTF-8 bytes (ED A0 80) arrive as U+FFFD, a storable character.
    await agent.page(`/console/tickets/${ticket.id}`);
    const note = await agent.post(`/console/tickets/${ticket.id}/notes`, {
      content: 'Console: still takes a note.',
    });
    expect(note.status).toBe(303);
    await noteTakes('Console: and the API too.');
  });

  it('are refused in widget frames, sessions and attachment names, and the conversation takes the next message', async () => {
    const session = await widgetSession(api().baseUrl, widgetKey, SITE);
    expect(session.status).toBe(200);
    const refused = await widgetSession(api().baseUrl, widgetKey, SITE, { name: 'Ana\u0000' });
    expect(refused.status).toBe(422);
    expect(refused.data).toMatchObject({ errors: [{ field: 'body.name' }] });

    const socket = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
    socket.send({ type: 'hello', token: session.data.token });
    await socket.next('welcome');
    for (const [, value, message] of POISON) {
      const clientMessageId = `poison-${Math.random()}`;
      socket.send({ type: 'message', clientMessageId, content: value });
      const error = await socket.next(
        'error',
        (f) => f.code === 'invalid_message' && message.test(f.message),
      );
      expect(error).toMatchObject({ field: 'content' });
    }
    socket.send({ type: 'message', clientMessageId: 'fine-1', content: 'Where is my order?' });
    await socket.next('ack', (f) => f.clientMessageId === 'fine-1');
    // An out-of-range rating is not a frame of the protocol: the socket closes, the next one works.
    socket.send({ type: 'rate', rating: 2 ** 31 });
    expect((await socket.waitForClose()).code).toBe(4400);
    const again = await VisitorSocket.connect(api().baseUrl, widgetKey, SITE);
    again.send({ type: 'hello', token: session.data.token });
    await again.next('welcome');
    again.send({ type: 'message', clientMessageId: 'fine-2', content: 'Still there?' });
    await again.next('ack', (f) => f.clientMessageId === 'fine-2');
    again.close();

    // The HTTP fallback's frames, and attachment names.
    const headers = {
      authorization: `Bearer ${session.data.token}`,
      'x-widget-key': widgetKey,
      origin: SITE,
    };
    const frame = await send(
      'POST',
      '/widget/v1/frames',
      JSON.stringify({ type: 'message', clientMessageId: 'p', content: 'a\u0000' }),
      headers,
    );
    expect(frame).toMatchObject({ status: 422, body: { errors: [{ field: 'body.content' }] } });
    // A raw NUL in a part's header is malformed multipart already; RFC 5987's `filename*` decodes to one.
    const multipart = (name: string, type: string, content: string) => {
      const boundary = 'parley-test-boundary';
      return {
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
        body: Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''${name}\r\n` +
            `Content-Type: ${type}\r\n\r\n${content}\r\n--${boundary}--\r\n`,
        ),
      };
    };
    const attachmentForm = multipart('invoice%00.pdf', 'application/pdf', '%PDF-1.4\n');
    const attachment = await fetch(`${api().baseUrl}/widget/v1/attachments`, {
      method: 'POST',
      headers: { ...headers, ...attachmentForm.headers },
      body: attachmentForm.body,
    });
    expect(attachment.status).toBe(422);
    expect(await attachment.json()).toMatchObject({ errors: [{ field: 'body.file' }] });
    const documentForm = multipart('notes%00.md', 'text/markdown', '# Hello\n\nText.');
    const document = await fetch(`${api().baseUrl}/v1/documents/upload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${owner.session.accessToken}`, ...documentForm.headers },
      body: documentForm.body,
    });
    expect(document.status).toBe(422);
    expect(await document.json()).toMatchObject({ errors: [{ field: 'body.file' }] });
  });
});
