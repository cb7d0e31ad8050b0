import { Conversation, Membership, Message, Ticket } from '../../src/db/models';
import { ticketWorkflowId } from '../../src/workflows/contracts';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { useTestWorker } from '../helpers/temporal';
import { eventOf, eventsOf, eventually, HUMAN_PLEASE, ticketsOf, visitorSays } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

describe('ticket lifecycle', () => {
  let owner: Account;
  let org: string;

  beforeAll(async () => {
    owner = await signUp(api());
    org = owner.session.organization.id;
    await upgrade(org);
  });

  const newConversation = async (account = owner) =>
    (await account.client.POST('/v1/conversations', { body: { visitorName: 'Vic' } })).data!;

  /** A conversation escalated by the visitor, with its ticket once the workflow has tried to assign it. */
  async function escalated(account = owner) {
    const organizationId = account.session.organization.id;
    const conversation = await newConversation(account);
    const posted = await visitorSays(account.client, conversation.id, HUMAN_PLEASE);
    expect(posted.turn.outcome).toBe('escalate');
    const [ticket] = await eventually(
      () => ticketsOf(organizationId, conversation.id),
      (tickets) => tickets.length === 1,
      'the ticket',
    );
    await eventually(
      () => eventsOf(organizationId, ticket!.id),
      (events) => events.some((e) => e.type === 'assigned' || e.type === 'assignment_skipped'),
      'the first assignment',
    );
    return {
      conversation,
      ticket: (await Ticket.query().forOrganization(organizationId).findById(ticket!.id))!,
    };
  }

  const describeWorkflow = (ticketId: string) =>
    worker().client.workflow.getHandle(ticketWorkflowId(ticketId)).describe();

  it('runs each ticket as a workflow carrying the organization and ticket search attributes', async () => {
    const { ticket } = await escalated();
    const description = await describeWorkflow(ticket.id);
    expect(description.type).toBe('ticketLifecycle');
    expect(description.status.name).toBe('RUNNING');
    expect(description.searchAttributes).toMatchObject({ OrganizationId: [org], TicketId: [ticket.id] });
    const ids: string[] = [];
    await eventually(
      async () => {
        ids.length = 0;
        for await (const run of worker().client.workflow.list({
          query: `OrganizationId = '${org}' AND TicketId = '${ticket.id}'`,
        }))
          ids.push(run.workflowId);
        return ids;
      },
      (found) => found.length === 1,
      'the workflow in the visibility store',
    );
    expect(ids).toEqual([ticketWorkflowId(ticket.id)]);
  });

  it('keeps one ticket and one workflow however often the conversation is escalated', async () => {
    const { conversation, ticket } = await escalated();
    const firstRun = (await describeWorkflow(ticket.id)).runId;
    // Back to the assistant, then the visitor asks for a person again: the same ticket comes back.
    const handedBack = await owner.client.POST('/v1/tickets/{id}/hand-back', {
      params: { path: { id: ticket.id } },
    });
    expect(handedBack.data).toMatchObject({ status: 'resolved' });
    const again = await visitorSays(owner.client, conversation.id, 'I still want a human, please.');
    expect(again.turn.outcome).toBe('escalate');
    await eventOf(org, ticket.id, 'reopened');

    const tickets = await ticketsOf(org, conversation.id);
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ id: ticket.id, status: 'assigned' });
    expect((await describeWorkflow(ticket.id)).runId).toBe(firstRun);
    const types = (await eventsOf(org, ticket.id)).map((e) => e.type);
    expect(types.filter((t) => t === 'created')).toHaveLength(1);
    expect(types).toContain('escalated_again');
    const handled = await Conversation.query().forOrganization(org).findById(conversation.id);
    expect(handled).toMatchObject({ handledBy: 'agent', status: 'escalated' });
  });

  it('opens one ticket when two messages of a conversation escalate at once', async () => {
    const conversation = await newConversation();
    await Promise.all([
      visitorSays(owner.client, conversation.id, HUMAN_PLEASE),
      visitorSays(owner.client, conversation.id, 'Please connect me to a human agent.'),
    ]);
    const tickets = await ticketsOf(org, conversation.id);
    expect(tickets).toHaveLength(1);
    const runs = await eventually(
      async () => {
        const found: string[] = [];
        for await (const run of worker().client.workflow.list({ query: `TicketId = '${tickets[0]!.id}'` }))
          found.push(run.workflowId);
        return found;
      },
      (found) => found.length > 0,
      'the ticket workflow in the visibility store',
    );
    expect(runs).toEqual([ticketWorkflowId(tickets[0]!.id)]);
    expect((await describeWorkflow(tickets[0]!.id)).status.name).toBe('RUNNING');
  });

  it('records the SLA due dates from the priority and keeps every change on the timeline', async () => {
    const { ticket } = await escalated();
    // A pro plan and a plain request for a person: high priority (1 h first response, 8 h resolution).
    expect(ticket.priority).toBe('high');
    const created = new Date(ticket.createdAt).getTime();
    expect(new Date(ticket.firstResponseDueAt!).getTime() - created).toBeGreaterThan(59 * 60_000);
    expect(new Date(ticket.firstResponseDueAt!).getTime() - created).toBeLessThan(61 * 60_000);
    expect(new Date(ticket.resolutionDueAt!).getTime() - created).toBeGreaterThan(479 * 60_000);

    await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'pending' },
    });
    await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'resolved' },
    });
    const { data } = await owner.client.GET('/v1/tickets/{id}', { params: { path: { id: ticket.id } } });
    expect(data!.status).toBe('resolved');
    expect(data!.resolvedAt).not.toBeNull();
    expect(data!.events.map((e) => e.type)).toEqual([
      'created',
      'assigned',
      'status_changed',
      'status_changed',
    ]);
    expect(data!.events.slice(2).map((e) => e.data)).toEqual([
      { from: 'assigned', to: 'pending' },
      { from: 'pending', to: 'resolved' },
    ]);
    expect(data!.events[2]!.actorUserId).toBe(owner.session.user.id);
    expect(data!.conversation.messages.map((m) => m.role)).toEqual(['visitor', 'assistant']);
  });

  it('reopens a pending ticket when the visitor writes again', async () => {
    const { conversation, ticket } = await escalated();
    await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'pending' },
    });
    const posted = await visitorSays(owner.client, conversation.id, 'Here is the order number: 1234.');
    expect(posted.turn.outcome).toBe('handed_off');
    const reopened = await eventOf(org, ticket.id, 'reopened');
    expect(reopened.data).toMatchObject({ from: 'pending', to: 'assigned', cause: 'visitor_message' });
    expect(await Ticket.query().forOrganization(org).findById(ticket.id)).toMatchObject({
      status: 'assigned',
    });
  });

  it('sets a ticket pending with the reply, and the visitor answering puts it back with the agent', async () => {
    const { conversation, ticket } = await escalated();
    const reply = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: 'Could you send me the order number?', status: 'pending' },
    });
    expect(reply.response.status).toBe(201);
    expect(reply.data!.ticket).toMatchObject({ status: 'pending' });
    const changed = await eventOf(org, ticket.id, 'status_changed');
    expect(changed.data).toMatchObject({
      from: 'assigned',
      to: 'pending',
      cause: 'agent_reply',
      messageId: reply.data!.message.id,
    });
    expect(changed.actorUserId).toBe(owner.session.user.id);

    await visitorSays(owner.client, conversation.id, 'Sure, it is 1234.');
    const reopened = await eventOf(org, ticket.id, 'reopened');
    expect(reopened.data).toMatchObject({ from: 'pending', to: 'assigned', cause: 'visitor_message' });
  });

  it('resolves a closed ticket with the reply that reopens it, and refuses other statuses', async () => {
    const { ticket } = await escalated();
    await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'closed' },
    });
    const reply = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: 'Your refund went out today; nothing more to do.', status: 'resolved' },
    });
    expect(reply.data!.ticket).toMatchObject({ status: 'resolved', closedAt: null });
    expect(reply.data!.ticket.resolvedAt).not.toBeNull();
    const events = (await eventsOf(org, ticket.id)).map((e) => [e.type, e.data.from, e.data.to]);
    expect(events.slice(-3)).toEqual([
      ['reopened', 'closed', 'assigned'],
      ['status_changed', 'assigned', 'resolved'],
      ['replied', undefined, undefined],
    ]);

    const refused = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: 'Closing this.', status: 'closed' as 'resolved' },
    });
    expect(refused.response.status).toBe(422);
    expect(JSON.stringify(refused.error)).toMatch(/status/);
  });

  it('reopens a closed ticket when an agent replies (documented behaviour)', async () => {
    const { conversation, ticket } = await escalated();
    const closed = await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'closed' },
    });
    expect(closed.data).toMatchObject({ status: 'closed' });
    expect(await Conversation.query().forOrganization(org).findById(conversation.id)).toMatchObject({
      handledBy: 'assistant',
      status: 'closed',
    });
    const refused = await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'pending' },
    });
    expect(refused.response.status).toBe(409);
    expect(refused.error).toMatchObject({ detail: expect.stringMatching(/reply/) as string });
    const assign = await owner.client.POST('/v1/tickets/{id}/assign', {
      params: { path: { id: ticket.id } },
      body: {},
    });
    expect(assign.response.status).toBe(409);
    const closedAgain = await owner.client.POST('/v1/tickets/{id}/status', {
      params: { path: { id: ticket.id } },
      body: { status: 'closed' },
    });
    expect(closedAgain.data).toMatchObject({ status: 'closed' });

    const reply = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: 'One more thing: your refund went out today.' },
    });
    expect(reply.response.status).toBe(201);
    expect(reply.data!.ticket).toMatchObject({ status: 'assigned', closedAt: null });
    expect(reply.data!.message).toMatchObject({
      role: 'agent',
      content: 'One more thing: your refund went out today.',
    });
    const reopened = await eventOf(org, ticket.id, 'reopened');
    expect(reopened.data).toMatchObject({ from: 'closed', to: 'assigned', cause: 'agent_reply' });
    expect(await Conversation.query().forOrganization(org).findById(conversation.id)).toMatchObject({
      handledBy: 'agent',
      status: 'escalated',
    });
  });

  it('sets the first response time once and posts a retried reply once', async () => {
    const { ticket } = await escalated();
    const send = () =>
      owner.client.POST('/v1/tickets/{id}/replies', {
        params: { path: { id: ticket.id } },
        body: { content: 'Hi, I am Dana from support.', clientMessageId: 'reply-1' },
      });
    const first = await send();
    const again = await send();
    expect(again.data!.message.id).toBe(first.data!.message.id);
    expect(first.data!.ticket.firstResponseAt).not.toBeNull();
    await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: 'Anything else?' },
    });
    const after = await Ticket.query().forOrganization(org).findById(ticket.id);
    expect(new Date(after!.firstResponseAt!).toISOString()).toBe(first.data!.ticket.firstResponseAt);
    const agentMessages = await Message.query()
      .forOrganization(org)
      .where({ conversationId: ticket.conversationId, role: 'agent' });
    expect(agentMessages).toHaveLength(2);
  });

  it('refuses an empty reply with 422', async () => {
    const { ticket } = await escalated();
    const res = await owner.client.POST('/v1/tickets/{id}/replies', {
      params: { path: { id: ticket.id } },
      body: { content: '   ' },
    });
    expect(res.response.status).toBe(422);
  });

  it('hands the conversation back to the assistant, which answers the next message', async () => {
    const { conversation, ticket } = await escalated();
    const res = await owner.client.POST('/v1/tickets/{id}/hand-back', {
      params: { path: { id: ticket.id } },
    });
    expect(res.data).toMatchObject({ status: 'resolved' });
    const next = await visitorSays(owner.client, conversation.id, 'What are your opening hours?');
    expect(next.turn.outcome).not.toBe('handed_off');
    expect((await eventsOf(org, ticket.id)).map((e) => e.type)).toContain('handed_back');
  });

  describe('take over', () => {
    const takeOver = (conversationId: string, account = owner) =>
      account.client.POST('/v1/conversations/{id}/take-over', { params: { path: { id: conversationId } } });
    const announcements = async (conversationId: string) =>
      Message.query().forOrganization(org).where({ conversationId, role: 'system' });

    it('opens a ticket assigned to the member, pauses the assistant and tells the visitor', async () => {
      const conversation = await newConversation();
      const first = await visitorSays(owner.client, conversation.id, 'What are your opening hours?');
      expect(first.turn.outcome).not.toBe('handed_off');

      const res = await takeOver(conversation.id);
      expect(res.response.status).toBe(200);
      expect(res.data).toMatchObject({
        conversationId: conversation.id,
        status: 'assigned',
        assigneeUserId: owner.session.user.id,
        reason: 'taken over by an agent',
      });
      const ticketId = res.data!.id;
      expect(await Conversation.query().forOrganization(org).findById(conversation.id)).toMatchObject({
        handledBy: 'agent',
        status: 'escalated',
      });
      const [joined] = await announcements(conversation.id);
      expect(joined!.content).toContain('joined the conversation');
      const types = (await eventsOf(org, ticketId)).map((e) => e.type);
      expect(types).toEqual(['created', 'taken_over']);
      expect((await describeWorkflow(ticketId)).status.name).toBe('RUNNING');

      // The assistant stays quiet; the ticket hears that the visitor wrote.
      const next = await visitorSays(owner.client, conversation.id, 'Hello? Anyone there?');
      expect(next.turn.outcome).toBe('handed_off');

      // Taking over again changes nothing.
      const again = await takeOver(conversation.id);
      expect(again.data).toMatchObject({ id: ticketId, status: 'assigned' });
      expect(await announcements(conversation.id)).toHaveLength(1);
      expect((await eventsOf(org, ticketId)).filter((e) => e.type === 'taken_over')).toHaveLength(1);
    });

    it("takes a colleague's ticket, and takes back a conversation handed to the assistant", async () => {
      const agent = await addMember(api(), owner, 'agent');
      const { conversation, ticket } = await escalated();
      const mine = await takeOver(conversation.id, agent);
      expect(mine.data).toMatchObject({ id: ticket.id, assigneeUserId: agent.session.user.id });
      expect(await eventOf(org, ticket.id, 'taken_over')).toMatchObject({
        actorUserId: agent.session.user.id,
      });

      await owner.client.POST('/v1/tickets/{id}/hand-back', { params: { path: { id: ticket.id } } });
      const back = await takeOver(conversation.id);
      expect(back.data).toMatchObject({
        id: ticket.id,
        status: 'assigned',
        assigneeUserId: owner.session.user.id,
        resolvedAt: null,
      });
      expect(await Conversation.query().forOrganization(org).findById(conversation.id)).toMatchObject({
        handledBy: 'agent',
      });
      expect(await announcements(conversation.id)).toHaveLength(2);
    });

    it('is for members only: an API key is refused, an unknown conversation is not found', async () => {
      const conversation = await newConversation();
      const { data: key } = await owner.client.POST('/v1/api-keys', { body: { name: 'integration' } });
      const byKey = await takeOver(conversation.id, { ...owner, client: api().client(key!.key) });
      expect(byKey.response.status).toBe(403);
      expect(await ticketsOf(org, conversation.id)).toHaveLength(0);
      const missing = await takeOver('00000000-0000-4000-8000-000000000000');
      expect(missing.response.status).toBe(404);
    });
  });

  describe('assignment', () => {
    let team: Account;
    let agents: Account[];

    beforeAll(async () => {
      team = await signUp(api());
      await upgrade(team.session.organization.id);
      agents = [await addMember(api(), team, 'agent'), await addMember(api(), team, 'agent')];
      // The owner does not take tickets: round-robin goes between the two agents only.
      await Membership.query()
        .forOrganization(team.session.organization.id)
        .where('userId', team.session.user.id)
        .patch({ available: false });
    });

    it('goes round-robin among the available agents', async () => {
      const assignees: (string | null)[] = [];
      for (let i = 0; i < 4; i++) assignees.push((await escalated(team)).ticket.assigneeUserId);
      const [a, b] = agents.map((x) => x.session.user.id);
      expect(new Set(assignees.slice(0, 2))).toEqual(new Set([a, b]));
      expect(assignees[2]).toBe(assignees[0]);
      expect(assignees[3]).toBe(assignees[1]);
    });

    it('assigns by hand to a member of the organization', async () => {
      const { ticket } = await escalated(team);
      const other = agents.find((x) => x.session.user.id !== ticket.assigneeUserId)!;
      const res = await team.client.POST('/v1/tickets/{id}/assign', {
        params: { path: { id: ticket.id } },
        body: { userId: other.session.user.id },
      });
      expect(res.data).toMatchObject({ assigneeUserId: other.session.user.id, status: 'assigned' });
      const event = (await eventsOf(team.session.organization.id, ticket.id)).at(-1)!;
      expect(event).toMatchObject({ type: 'assigned', actorUserId: team.session.user.id });
      expect(event.data).toMatchObject({
        from: ticket.assigneeUserId,
        to: other.session.user.id,
        roundRobin: false,
      });
    });

    it('answers 422 for a user outside the organization or unknown', async () => {
      const { ticket } = await escalated(team);
      for (const userId of [owner.session.user.id, '00000000-0000-4000-8000-000000000000']) {
        const res = await team.client.POST('/v1/tickets/{id}/assign', {
          params: { path: { id: ticket.id } },
          body: { userId },
        });
        expect(res.response.status).toBe(422);
        expect(res.error).toMatchObject({ errors: [{ field: 'body.userId' }] });
      }
      expect(
        (await Ticket.query().forOrganization(team.session.organization.id).findById(ticket.id))!
          .assigneeUserId,
      ).toBe(ticket.assigneeUserId);
    });

    it('leaves the ticket open when nobody is available, and records why', async () => {
      const lonely = await signUp(api());
      await Membership.query().forOrganization(lonely.session.organization.id).patch({ available: false });
      const { ticket } = await escalated(lonely);
      expect(ticket).toMatchObject({ status: 'open', assigneeUserId: null });
      const skipped = await eventOf(lonely.session.organization.id, ticket.id, 'assignment_skipped');
      expect(skipped.data).toMatchObject({ reason: 'no available member' });
    });
  });

  describe('listing', () => {
    it('filters by status, priority and assignee, and pages with a cursor', async () => {
      const mine = await signUp(api());
      const orgId = mine.session.organization.id;
      const made = [await escalated(mine), await escalated(mine), await escalated(mine)];
      await mine.client.POST('/v1/tickets/{id}/status', {
        params: { path: { id: made[0]!.ticket.id } },
        body: { status: 'pending' },
      });
      const pending = await mine.client.GET('/v1/tickets', { params: { query: { status: 'pending' } } });
      expect(pending.data!.items.map((t) => t.id)).toEqual([made[0]!.ticket.id]);
      const normal = await mine.client.GET('/v1/tickets', { params: { query: { priority: 'normal' } } });
      expect(normal.data!.items).toHaveLength(3); // free plan, calm visitor
      const assigned = await mine.client.GET('/v1/tickets', {
        params: { query: { assignee: mine.session.user.id } },
      });
      expect(assigned.data!.items).toHaveLength(3);
      const none = await mine.client.GET('/v1/tickets', { params: { query: { assignee: 'none' } } });
      expect(none.data!.items).toHaveLength(0);
      const bad = await mine.client.GET('/v1/tickets', { params: { query: { assignee: 'nobody' } } });
      expect(bad.response.status).toBe(422);

      const first = await mine.client.GET('/v1/tickets', { params: { query: { limit: 2, sort: 'number' } } });
      const second = await mine.client.GET('/v1/tickets', {
        params: { query: { limit: 2, sort: 'number', cursor: first.data!.nextCursor! } },
      });
      expect([...first.data!.items, ...second.data!.items].map((t) => t.number)).toEqual([1, 2, 3]);
      expect(second.data!.nextCursor).toBeNull();
      expect(await Ticket.query().forOrganization(orgId).resultSize()).toBe(3);
    });
  });
});
