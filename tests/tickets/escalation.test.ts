import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { waitForDocument } from '../helpers/knowledge';
import { eventOf, eventually, HUMAN_PLEASE, ticketsOf, visitorSays } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

/**
 * Each escalation signal, end to end through the API and a real chat turn: the turn's outcome, the
 * reasons it gives, and the ticket (its reason, priority and timeline) the escalation opens.
 */
describe('escalation signals', () => {
  let pro: Account;
  let free: Account;

  beforeAll(async () => {
    pro = await signUp(api());
    await upgrade(pro.session.organization.id);
    const settings = await pro.client.PATCH('/v1/organization/settings', {
      body: {
        escalationRules: {
          keywords: ['chargeback'],
          maxAbstentions: 5,
          sentimentDrop: 0.5,
          sentimentThreshold: -0.6,
        },
      },
    });
    expect(settings.data!.escalationRules).toMatchObject({ sentimentDrop: 0.5 });
    free = await signUp(api());
    // One article, so the free organization's assistant can answer something between abstentions.
    const form = new FormData();
    form.append('file', new Blob(['# Shipping\n\nOrders ship within two working days.\n']), 'shipping.md');
    const { data: document } = await free.client.POST('/v1/documents/upload', {
      body: { file: '' },
      bodySerializer: () => form,
    });
    await waitForDocument(free.session.organization.id, document!.id, ['ready']);
  });

  async function converse(account: Account, ...messages: string[]) {
    const conversation = (await account.client.POST('/v1/conversations', { body: {} })).data!;
    const turns = [];
    for (const content of messages)
      turns.push((await visitorSays(account.client, conversation.id, content)).turn);
    const last = turns.at(-1)!;
    const organizationId = account.session.organization.id;
    const tickets = await eventually(
      () => ticketsOf(organizationId, conversation.id),
      (found) => last.outcome !== 'escalate' || found.length === 1,
      'the ticket',
    );
    return { turns, last, ticket: tickets[0], organizationId };
  }

  it('escalates when the visitor asks for a person in their own words, with that reason', async () => {
    const { last, ticket, organizationId } = await converse(pro, 'Could I speak to someone from your team?');
    expect(last).toMatchObject({ outcome: 'escalate', reasons: ['visitor asked for a human'] });
    expect(ticket).toMatchObject({ reason: 'visitor asked for a human' });
    const created = await eventOf(organizationId, ticket!.id, 'created');
    expect(created.data).toMatchObject({ reasons: ['visitor asked for a human'], priority: 'high' });
  });

  it("escalates on the organization's keyword rule", async () => {
    const { last, ticket } = await converse(
      pro,
      'Where can I see my invoices? Otherwise it is a chargeback.',
    );
    expect(last.outcome).toBe('escalate');
    expect(last.reasons).toContain('matched escalation keyword "chargeback"');
    expect(ticket!.reason).toContain('matched escalation keyword "chargeback"');
  });

  it('escalates one very negative message, and an upset visitor on a paid plan is urgent', async () => {
    const { last, ticket } = await converse(pro, 'This is terrible. I hate this awful, useless, broken app!');
    expect(last.outcome).toBe('escalate');
    expect(last.reasons!.join(' ')).toMatch(/negative sentiment \(-(0\.\d\d|1\.00)\)/);
    expect(ticket).toMatchObject({ priority: 'urgent' });
  });

  it('escalates a falling sentiment trend below the organization threshold for one message', async () => {
    const { turns, last } = await converse(
      pro,
      'Thanks, this is great, I love the app and it works wonderfully!',
      'Hmm, the export keeps failing and that is really frustrating.',
    );
    expect(turns[0]!.outcome).not.toBe('escalate');
    expect(last.outcome).toBe('escalate');
    expect(last.reasons!.join(' ')).toMatch(/sentiment falling \(0\.\d\d → -?0\.\d\d\)/);
    expect(last.reasons!.join(' ')).not.toMatch(/negative sentiment/);
  });

  it('escalates after the assistant could not answer several times in a row', async () => {
    const { turns, last, ticket } = await converse(
      free,
      'What is the airspeed of an unladen swallow?',
      'Which wine goes best with grilled octopus?',
    );
    expect(turns[0]).toMatchObject({ outcome: 'abstain' });
    expect(last).toMatchObject({
      outcome: 'escalate',
      reasons: ['the documents did not answer 2 questions in a row'],
    });
    // Free plan, calm visitor: normal priority.
    expect(ticket).toMatchObject({
      priority: 'normal',
      reason: 'the documents did not answer 2 questions in a row',
    });
  });

  it('counts only the abstentions since the last answer', async () => {
    const { turns, last } = await converse(
      free,
      'What is the airspeed of an unladen swallow?',
      'How quickly do orders ship?',
      'Which wine goes best with grilled octopus?',
      'Who won the 1954 football world cup?',
    );
    expect(turns.map((turn) => turn.outcome)).toEqual(['abstain', 'answer', 'abstain', 'escalate']);
    expect(last.reasons).toEqual(['the documents did not answer 2 questions in a row']);
  });

  it('gives a free plan normal priority and a paid plan high priority for the same request', async () => {
    const onFree = await converse(free, HUMAN_PLEASE);
    const onPro = await converse(pro, HUMAN_PLEASE);
    expect(onFree.ticket!.priority).toBe('normal');
    expect(onPro.ticket!.priority).toBe('high');
  });

  it('refuses a sentiment drop outside its range with 422', async () => {
    const res = await pro.client.PATCH('/v1/organization/settings', {
      body: { escalationRules: { sentimentDrop: 5 } },
    });
    expect(res.response.status).toBe(422);
    expect(res.error).toMatchObject({ errors: [{ field: 'body.escalationRules.sentimentDrop' }] });
    const rules = await pro.client.PATCH('/v1/organization/settings', {
      body: { ticketRules: { autoCloseHours: 24 } },
    });
    expect(rules.data!.ticketRules).toEqual({ autoCloseHours: 24 });
  });
});
