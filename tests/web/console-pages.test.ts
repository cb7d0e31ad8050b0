import {
  Conversation,
  Document,
  Membership,
  Message,
  OrganizationSettings,
  Subscription,
  Ticket,
  TicketEvent,
} from '../../src/db/models';
import { PASSWORD, signUp, upgrade, uniqueEmail } from '../helpers/accounts';
import { useTestApi } from '../helpers/api';
import { consoleAgent, type ConsoleAgent } from '../helpers/console';
import { useTestDatabase } from '../helpers/db';
import { linkToken } from '../helpers/mailbox';

const db = useTestDatabase();
// No worker serves this API's task queue: a change that needs a ticket's workflow times out quickly.
const api = useTestApi(db, {
  configure: (config) => ({ ...config, temporal: { ...config.temporal, updateTimeoutMs: 1_000 } }),
});

async function owner(): Promise<{ agent: ConsoleAgent; organizationId: string; email: string }> {
  const account = await signUp(api());
  const agent = consoleAgent(api());
  await agent.signIn(account.email, PASSWORD);
  return { agent, organizationId: account.session.organization.id, email: account.email };
}

const XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';

async function conversationWith(
  organizationId: string,
  visitorName: string,
  messages: Partial<Message>[],
): Promise<Conversation> {
  const conversation = await Conversation.query()
    .forOrganization(organizationId)
    .insert({ visitorId: `v-${visitorName}`, visitorName })
    .returning('*');
  let previous: Message | undefined;
  for (const message of messages) {
    previous = await Message.query()
      .forOrganization(organizationId)
      .insert({
        conversationId: conversation.id,
        role: 'visitor',
        content: '',
        ...message,
        ...(message.role === 'assistant' && previous ? { replyToMessageId: previous.id } : {}),
      })
      .returning('*');
  }
  return conversation;
}

describe('settings', () => {
  it('saves the widget look and rules, and shows invalid values next to their fields', async () => {
    const { agent, organizationId } = await owner();
    const page = await agent.page('/console/settings');
    expect(page.body).toContain('data-key=');
    expect(page.body).toContain('/widget.js');

    const invalid = await agent.post('/console/settings', {
      'widget.color': '#123456',
      'widget.position': 'left',
      confidenceThreshold: '1.5',
      'escalationRules.keywords': 'refund',
      allowedOrigins: 'https://shop.example.com\nhttps://example.com/path',
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('Confidence threshold must be at most 1.');
    expect(invalid.body).toContain('(line 2) must be an origin like https://www.example.com');

    const saved = await agent.post('/console/settings', {
      'widget.color': '#0f766e',
      'widget.position': 'left',
      'widget.greeting': 'Hi! Ask me anything.',
      aiPersona: 'Lumi, the Lumen Notes helper',
      confidenceThreshold: '0.4',
      'escalationRules.sentimentThreshold': '-0.5',
      'escalationRules.keywords': 'refund\nlawyer',
      'escalationRules.maxAbstentions': '2',
      allowedOrigins: 'https://shop.example.com',
    });
    expect(saved.location).toBe('/console/settings?saved=1');
    const settings = await OrganizationSettings.query()
      .forOrganization(organizationId)
      .findById(organizationId);
    expect(settings).toMatchObject({
      widget: { color: '#0f766e', position: 'left', greeting: 'Hi! Ask me anything.' },
      aiPersona: 'Lumi, the Lumen Notes helper',
      confidenceThreshold: 0.4,
      escalationRules: { sentimentThreshold: -0.5, keywords: ['refund', 'lawyer'], maxAbstentions: 2 },
      allowedOrigins: ['https://shop.example.com'],
    });
  });

  it('renders the live preview in the chosen colour, and ignores a colour that is not one', async () => {
    const { agent } = await owner();
    const preview = await agent.page(
      '/console/settings/preview?widget.color=%23ff0000&widget.launcherText=Help',
      true,
    );
    expect(preview.body).toContain('--accent: #ff0000');
    expect(preview.body).toContain('>Help</div>');
    const hostile = await agent.page('/console/settings/preview?widget.color=red;background:url(x)', true);
    expect(hostile.body).toContain('--accent: #4f46e5');
  });
});

describe('team', () => {
  it('invites a member who accepts through the emailed link, then changes their role and removes them', async () => {
    const { agent, organizationId } = await owner();
    await upgrade(organizationId);
    await agent.page('/console/team');
    const invalid = await agent.post('/console/team/invitations', { email: 'nope', role: 'agent' });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toContain('Email must be an email address');

    const email = uniqueEmail('teammate');
    const invited = await agent.post('/console/team/invitations', { email, role: 'agent' });
    expect(invited.status).toBe(303);
    const mail = await api().mailbox.waitFor(email, /invited/);
    const link = /https?:\/\/\S+/.exec(mail.text)![0];
    expect(new URL(link).pathname).toBe('/accept-invitation');

    const teammate = consoleAgent(api());
    const form = await teammate.page(`/accept-invitation?token=${encodeURIComponent(linkToken(mail))}`);
    expect(form.status).toBe(200);
    const accepted = await teammate.post('/accept-invitation', {
      token: linkToken(mail),
      name: 'Tea Mate',
      password: PASSWORD,
    });
    expect(accepted.location).toBe('/console');
    expect((await teammate.page('/console/conversations')).status).toBe(200);

    const team = await agent.page('/console/team');
    expect(team.body).toContain('Tea Mate');
    const memberId = new RegExp(
      `/console/team/members/([0-9a-f-]{36})/remove"[^>]*data-confirm="Remove Tea Mate`,
    ).exec(team.body)![1]!;
    expect((await agent.post(`/console/team/members/${memberId}/role`, { role: 'admin' })).status).toBe(303);
    expect((await agent.page('/console/team')).body).toMatch(
      new RegExp(`role-${memberId}"[^]*?<option value="admin" selected`),
    );
    expect((await agent.post(`/console/team/members/${memberId}/remove`, {})).status).toBe(303);
    expect((await teammate.request('/console/conversations')).status).toBe(303);
  });

  it('does not let an agent invite anyone', async () => {
    const { agent, organizationId } = await owner();
    await upgrade(organizationId);
    await agent.page('/console/team');
    const email = uniqueEmail('agent');
    await agent.post('/console/team/invitations', { email, role: 'agent' });
    const mail = await api().mailbox.waitFor(email, /invited/);
    const member = consoleAgent(api());
    await member.page('/accept-invitation');
    await member.post('/accept-invitation', { token: linkToken(mail), name: 'Agent', password: PASSWORD });
    await member.page('/console/team');
    const refused = await member.post('/console/team/invitations', {
      email: uniqueEmail('x'),
      role: 'agent',
    });
    expect(refused.status).toBe(403);
    expect((await member.page('/console/api-keys')).status).toBe(403);
  });
});

describe('API keys', () => {
  it('shows a new key once, lists it by prefix, and revokes it', async () => {
    const { agent } = await owner();
    await agent.page('/console/api-keys');
    const created = await agent.post('/console/api-keys', { name: 'Sync', scopes: 'documents:read' });
    expect(created.status).toBe(201);
    const key = /<code id="new-api-key">(prly_[^<]+)<\/code>/.exec(created.body)![1]!;
    const me = await api().client(key).GET('/v1/documents');
    expect(me.response.status).toBe(200);

    const list = await agent.page('/console/api-keys');
    expect(list.body).not.toContain(key);
    expect(list.body).toContain(`${key.slice(0, 11)}…`);
    const id = /\/console\/api-keys\/([0-9a-f-]{36})\/revoke/.exec(list.body)![1]!;
    expect((await agent.post(`/console/api-keys/${id}/revoke`, {})).status).toBe(303);
    expect((await api().client(key).GET('/v1/documents')).response.status).toBe(401);
  });
});

describe('conversations', () => {
  it('filters by search, status and sentiment, and shows a transcript with markup as text', async () => {
    const { agent, organizationId } = await owner();
    const angry = await conversationWith(organizationId, 'Angry Ann', [
      { role: 'visitor', content: `This is broken ${XSS}`, sentiment: -0.8 },
    ]);
    await Conversation.query()
      .forOrganization(organizationId)
      .findById(angry.id)
      .patch({ sentiment: -0.8, status: 'escalated' });
    const happy = await conversationWith(organizationId, 'Happy Hal', [
      { role: 'visitor', content: 'Thanks, refund worked', sentiment: 0.7 },
    ]);
    await Conversation.query().forOrganization(organizationId).findById(happy.id).patch({ sentiment: 0.7 });

    const search = await agent.page('/console/conversations?q=refund', true);
    expect(search.body).toContain('Happy Hal');
    expect(search.body).not.toContain('Angry Ann');
    const negative = await agent.page('/console/conversations?sentiment=negative');
    expect(negative.body).toContain('Angry Ann');
    expect(negative.body).not.toContain('Happy Hal');
    const escalated = await agent.page('/console/conversations?status=escalated', true);
    expect(escalated.body).toContain('Angry Ann');
    expect(escalated.body).not.toContain('Happy Hal');

    const detail = await agent.page(`/console/conversations/${angry.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toContain(
      'This is broken &lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;&lt;script&gt;',
    );
    expect(detail.body).not.toContain('<img src=x');
  });

  it('sends only the messages after the last one shown to the transcript poller', async () => {
    const { agent, organizationId } = await owner();
    const conversation = await conversationWith(organizationId, 'Poll', [
      { role: 'visitor', content: 'first question' },
    ]);
    const [first] = await Message.query()
      .forOrganization(organizationId)
      .where('conversationId', conversation.id);
    const none = await agent.page(
      `/console/conversations/${conversation.id}/messages?after=${first!.id}`,
      true,
    );
    expect(none.body).not.toContain('first question');
    expect(none.body).toContain(`messages?after=${first!.id}`);
    await Message.query().forOrganization(organizationId).insert({
      conversationId: conversation.id,
      role: 'assistant',
      content: 'the answer',
      replyToMessageId: first!.id,
    });
    const fresh = await agent.page(
      `/console/conversations/${conversation.id}/messages?after=${first!.id}`,
      true,
    );
    expect(fresh.body).toContain('the answer');
    expect(fresh.body).toContain(`/workflows/turn-${first!.id}`);
  });

  it('shows the not-found page for another organization’s conversation', async () => {
    const { agent } = await owner();
    const other = await signUp(api());
    const theirs = await conversationWith(other.session.organization.id, 'Secret Sam', [
      { role: 'visitor', content: 'private' },
    ]);
    for (const path of [
      `/console/conversations/${theirs.id}`,
      `/console/conversations/${theirs.id}/messages`,
    ]) {
      const { status, body } = await agent.page(path);
      expect(status).toBe(404);
      expect(body).not.toContain('Secret Sam');
    }
  });

  it('names an anonymous widget visitor by the start of their id', async () => {
    const { agent, organizationId } = await owner();
    const anonymous = await Conversation.query()
      .forOrganization(organizationId)
      .insert({ visitorId: 'visitor-34548fdc-533b-4009-b36b-7f83eab5c2f0' })
      .returning('*');
    await Message.query()
      .forOrganization(organizationId)
      .insert({ conversationId: anonymous.id, role: 'visitor', content: 'Hello?' });
    expect((await agent.page('/console/conversations')).body).toContain('Visitor 34548fdc');
    expect((await agent.page(`/console/conversations/${anonymous.id}`)).body).toContain(
      '<h1>Visitor 34548fdc</h1>',
    );
  });
});

describe('knowledge gaps', () => {
  it('groups unanswered questions and turns an agent’s reply into a new document', async () => {
    const { agent, organizationId } = await owner();
    for (const wording of ['Do you ship to Norway?', 'do you ship to norway', 'Do you ship to Norway ?']) {
      await conversationWith(organizationId, 'Nordic', [
        { role: 'visitor', content: wording },
        { role: 'assistant', content: 'I do not know.', outcome: 'abstain' },
        { role: 'agent', content: 'Yes, we ship to Norway in 3–5 days.' },
      ]);
    }
    await conversationWith(organizationId, 'Other', [
      { role: 'visitor', content: 'What is your address?' },
      { role: 'assistant', content: 'I do not know.', outcome: 'abstain' },
    ]);
    const page = await agent.page('/console/knowledge-gaps');
    expect(page.body).toContain('Asked 3 times');
    expect(page.body).toContain('Asked 1 time ');
    expect(page.body.indexOf('ship to Norway')).toBeLessThan(page.body.indexOf('What is your address?'));
    expect(page.body).toContain('Yes, we ship to Norway in 3–5 days.');

    const missing = await agent.post('/console/knowledge-gaps/articles', {
      key: '0',
      title: 'Shipping to Norway',
      content: '',
    });
    expect(missing.status).toBe(422);
    expect(missing.body).toContain('Answer is required.');

    const created = await agent.post('/console/knowledge-gaps/articles', {
      key: '0',
      title: 'Shipping to Norway',
      content: 'Yes, we ship to Norway in 3–5 days.',
    });
    expect(created.status).toBe(303);
    const id = created.location!.split('/').pop()!;
    const document = await Document.query()
      .forOrganization(organizationId)
      .findById(id)
      .withGraphFetched('file');
    expect(document).toMatchObject({ title: 'Shipping to Norway', sourceType: 'upload' });
    expect((document as Document & { file: { content: Buffer } }).file.content.toString()).toBe(
      '# Shipping to Norway\n\nYes, we ship to Norway in 3–5 days.\n',
    );
  });
});

describe('documents', () => {
  it('shows a hostile document title as text', async () => {
    const { agent, organizationId } = await owner();
    const document = await Document.query()
      .forOrganization(organizationId)
      .insert({ title: XSS, sourceType: 'url', sourceUrl: 'javascript:alert(1)' })
      .returning('*');
    for (const path of ['/console/documents', `/console/documents/${document.id}`]) {
      const { body } = await agent.page(path);
      expect(body).not.toContain('<img src=x');
      expect(body).not.toContain('<script>window');
      expect(body).toContain('&lt;img src=x');
      expect(body).not.toContain('href="javascript:');
    }
  });

  it('sums up a sitemap by its pages, which have the versions', async () => {
    const { agent, organizationId } = await owner();
    const documents = () => Document.query().forOrganization(organizationId);
    const sitemap = await documents()
      .insert({
        title: 'Help centre',
        sourceType: 'sitemap',
        sourceUrl: 'https://help.example/sitemap.xml',
        status: 'ready',
      })
      .returning('*');
    await documents().insert([
      { title: 'Refunds', sourceType: 'url', parentDocumentId: sitemap.id, status: 'ready', version: 1 },
      { title: 'Gone page', sourceType: 'url', parentDocumentId: sitemap.id, status: 'failed' },
    ]);
    const { body } = await agent.page(`/console/documents/${sitemap.id}`);
    expect(body).toContain('A sitemap has no text of its own');
    expect(body).toMatch(/<strong>2 pages<\/strong>: (1 ready, 1 failed|1 failed, 1 ready)\./);
    expect(body).not.toContain('No version is live yet');
    expect(body).toContain('Refunds');
  });

  it("switches a document between public and internal from its row, and a sitemap's pages follow it", async () => {
    const { agent, organizationId } = await owner();
    const documents = () => Document.query().forOrganization(organizationId);
    const sitemap = await documents()
      .insert({ title: 'Help centre', sourceType: 'sitemap', sourceUrl: 'https://help.example/sitemap.xml' })
      .returning('*');
    const page = await documents()
      .insert({ title: 'Refunds', sourceType: 'url', parentDocumentId: sitemap.id })
      .returning('*');
    const list = await agent.page('/console/documents');
    expect(list.body).toContain(`aria-label="Make Help centre internal"`);

    const row = await agent.post(
      `/console/documents/${sitemap.id}/visibility`,
      { visibility: 'internal' },
      { htmx: true },
    );
    expect(row.status).toBe(200);
    expect(row.body).toMatch(new RegExp(`^<tr\\s+id="document-${sitemap.id}"`));
    expect(row.body).toContain('>internal</span');
    expect(row.body).toContain('aria-label="Make Help centre public"');
    expect((await documents().findById(sitemap.id))!.visibility).toBe('internal');
    expect((await documents().findById(page.id))!.visibility).toBe('internal');

    // Another organization's document: the not-found page, and nothing changes.
    const stranger = await owner();
    await stranger.agent.page('/console/documents');
    const refused = await stranger.agent.post(`/console/documents/${sitemap.id}/visibility`, {
      visibility: 'public',
    });
    expect(refused.status).toBe(404);
    expect((await documents().findById(sitemap.id))!.visibility).toBe('internal');
  });

  it('refuses an upload of an unsupported type with the error next to the file input', async () => {
    const { agent } = await owner();
    await agent.page('/console/documents');
    const form = new FormData();
    form.set(
      'file',
      new Blob([Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe])], { type: 'application/octet-stream' }),
      'blob.bin',
    );
    const response = await agent.request('/console/documents/upload', {
      method: 'POST',
      body: form,
      htmx: true,
      headers: { 'X-CSRF-Token': agent.csrf },
    });
    expect(response.status).toBe(422);
    expect(response.headers.get('hx-retarget')).toBe('#add-documents');
    // The service's sentence, whole: not "The file This file type is not supported…".
    expect(await response.text()).toContain(
      '<p class="error" id="f-file-error">This file type is not supported; upload a PDF, Word (.docx), HTML, Markdown or plain-text (UTF-8) file.</p>',
    );
  });
});

describe('overview', () => {
  it('shows the analytics figures, the daily charts’ data and usage against the plan', async () => {
    const { agent, organizationId } = await owner();
    await conversationWith(organizationId, 'Counted', [
      { role: 'visitor', content: 'Hello' },
      { role: 'assistant', content: 'Hi!', outcome: 'answer' },
    ]);
    const { status, body } = await agent.page('/console/overview?days=7');
    expect(status).toBe(200);
    expect(body).toContain('AI resolution rate');
    expect(body).toMatch(/<canvas\s+data-chart="activity-data"/);
    const data = /<script type="application\/json" id="activity-data">\s*([^<]+?)\s*<\/script>/.exec(
      body,
    )![1]!;
    const spec = JSON.parse(data) as { labels: string[]; datasets: { label: string; data: number[] }[] };
    expect(spec.datasets.map((d) => d.label)).toEqual(['Conversations', 'Messages']);
    expect(spec.datasets[0]!.data.reduce((a, b) => a + b, 0)).toBe(1);
    expect(body).toContain('Answered messages this month');
    expect(body).toMatch(/<meter\s+id="usage-messages"[^>]*max="100"/);
    expect(body).toContain('<script src="/assets/chart.umd.min.js"');
  });
});

describe('tickets', () => {
  it('lists tickets with filters and shows one with its SLA countdown; another organization’s is 404', async () => {
    const { agent, organizationId } = await owner();
    const conversation = await conversationWith(organizationId, 'Needs Help', [
      { role: 'visitor', content: 'I want a person' },
    ]);
    const ticket = await Ticket.query()
      .forOrganization(organizationId)
      .insert({
        conversationId: conversation.id,
        number: 1,
        priority: 'high',
        reason: 'visitor asked for a human',
        summary: '• I want a person',
        firstResponseDueAt: new Date(Date.now() + 90 * 60_000),
        resolutionDueAt: new Date(Date.now() + 8 * 3600_000),
      })
      .returning('*');
    const list = await agent.page('/console/tickets?priority=high');
    expect(list.body).toContain('#1');
    expect(list.body).toContain('visitor asked for a human');
    expect(list.body).toMatch(
      /First response\s*<time datetime="[^"]+" data-countdown>due in 1 h 3\d min<\/time>/,
    );
    const none = await agent.page('/console/tickets?priority=low', true);
    expect(none.body).toContain('No tickets match');

    const detail = await agent.page(`/console/tickets/${ticket.id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toContain('I want a person');
    expect(detail.body).toContain(`/workflows/ticket-${ticket.id}`);
    const empty = await agent.post(`/console/tickets/${ticket.id}/replies`, { content: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.body).toContain('Reply is required.');
    // The workflow does not answer: the draft comes back with its key, so sending it again posts it once.
    const key = /name="clientMessageId" value="([^"]+)"/.exec(detail.body)![1]!;
    const late = await agent.post(`/console/tickets/${ticket.id}/replies`, {
      content: 'We are on it.',
      clientMessageId: key,
    });
    expect(late.status).toBe(503);
    expect(late.body).toContain('The ticket did not answer in time; try again.');
    expect(late.body).toContain('We are on it.</textarea>');
    expect(late.body).toContain(`name="clientMessageId" value="${key}"`);

    const other = await signUp(api());
    const stranger = consoleAgent(api());
    await stranger.signIn(other.email, PASSWORD);
    expect((await stranger.page(`/console/tickets/${ticket.id}`)).status).toBe(404);
    expect((await stranger.post(`/console/tickets/${ticket.id}/replies`, { content: 'hi' })).status).toBe(
      404,
    );
  });

  it('tells the timeline in words: who was assigned, why it reopened, which target was missed', async () => {
    const { agent, organizationId } = await owner();
    const conversation = await conversationWith(organizationId, 'Upset Una', [
      { role: 'visitor', content: 'This is awful' },
    ]);
    const ticket = await Ticket.query()
      .forOrganization(organizationId)
      .insert({
        conversationId: conversation.id,
        number: 1,
        priority: 'urgent',
        reason: 'negative sentiment',
      })
      .returning('*');
    const { userId: ownerId } = (await Membership.query().forOrganization(organizationId).first())!;
    const events = [
      {
        type: 'created',
        data: { reasons: ['negative sentiment (-0.80)'], priority: 'urgent', messageId: 'm1' },
      },
      { type: 'assigned', data: { from: null, to: ownerId, roundRobin: true } },
      { type: 'reopened', data: { from: 'resolved', to: 'open', cause: 'visitor_message', messageId: 'm2' } },
      {
        type: 'sla_breached',
        data: { kind: 'first_response', dueAt: '2026-11-26T08:47:00.000Z', from: 'high', to: 'urgent' },
      },
    ];
    for (const [i, event] of events.entries()) {
      await TicketEvent.query()
        .forOrganization(organizationId)
        .insert({ ticketId: ticket.id, ...event, createdAt: new Date(Date.now() + i) });
    }
    const body = (await agent.page(`/console/tickets/${ticket.id}`)).body;
    expect(body).toContain('Opened: negative sentiment (-0.80); priority urgent');
    expect(body).toContain('Assigned to Owner Person (round robin)');
    expect(body).toContain('Reopened: the visitor wrote again');
    expect(body).toContain('First response target missed (due 2026-11-26 08:47 UTC); priority high → urgent');
    expect(body).not.toContain('&quot;roundRobin&quot;');
  });
});

describe('billing', () => {
  it('shows the plan and usage to admins, with upgrades from the plan catalog', async () => {
    const { agent } = await owner();
    const { status, body } = await agent.page('/console/billing');
    expect(status).toBe(200);
    expect(body).toContain('Free plan');
    expect(body).toContain('Upgrade to Pro');
    expect(body).toContain('Upgrade to Enterprise');
    // Stripe returns to BILLING_RETURN_URL, the console by default.
    const back = await agent.request('/console?checkout=canceled&session_id=cs_1');
    expect(back.headers.get('location')).toBe('/console/billing?checkout=canceled');
    expect((await agent.page('/console/billing?checkout=canceled')).body).toContain(
      'The checkout was cancelled',
    );
  });

  it('offers to manage and cancel a subscription, and nothing of the kind for a plan granted without one', async () => {
    const { agent, organizationId } = await owner();
    await upgrade(organizationId, 'pro');
    const granted = (await agent.page('/console/billing')).body;
    expect(granted).toContain('Pro plan');
    expect(granted).toContain('granted');
    expect(granted).not.toContain('Manage payment and invoices');
    expect(granted).not.toContain('Cancel at the end of the period');
    expect(granted).toContain('Subscribe to Enterprise');

    // Back from Checkout before Stripe's webhook: the page polls itself until the subscription shows.
    await Subscription.query().forOrganization(organizationId).patch({ status: 'free' });
    const waiting = (await agent.page('/console/billing?checkout=success')).body;
    expect(waiting).toContain('Waiting for Stripe to confirm the payment');
    expect(waiting).toContain('hx-get="/console/billing?checkout=success" hx-trigger="every 2s"');
    const fragment = await agent.page('/console/billing?checkout=success', true);
    expect(fragment.body.trimStart()).toMatch(/^<div\s+id="billing"/);

    // What the subscription workflow stores once Stripe reports the subscription.
    await Subscription.query()
      .forOrganization(organizationId)
      .patch({ status: 'active', stripeCustomerId: 'cus_1', stripeSubscriptionId: 'sub_1' });
    const confirmed = (await agent.page('/console/billing?checkout=success', true)).body;
    expect(confirmed).toContain('Thank you! You are on the Pro plan.');
    expect(confirmed).not.toContain('hx-trigger');
    const subscribed = (await agent.page('/console/billing')).body;
    expect(subscribed).toContain('active');
    expect(subscribed).toContain('Manage payment and invoices');
    expect(subscribed).toContain('Cancel at the end of the period');
    expect(subscribed).not.toContain('Subscribe to');
    expect(subscribed).toContain('Change plans in the billing portal.');
  });
});
