import { randomUUID } from 'node:crypto';
import { Conversation, Message, type Organization } from '../../src/db/models';
import { turnWorkflowId } from '../../src/workflows/contracts';
import type { sweepOrphanedTurns } from '../../src/workflows/sweeper';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { useTestWorker } from '../helpers/temporal';
import { eventually } from '../helpers/tickets';

const db = useTestDatabase();
const worker = useTestWorker(db);

/**
 * A visitor message stored while Temporal was unreachable, whose client then gave up, has no chat
 * turn; the sweeper finds it and starts one. Scoped to this test's organization, since other test
 * files leave unanswered messages of their own.
 */
describe('orphaned-turn sweeper', () => {
  let organization: Organization;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
  });

  const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

  async function conversationWith(
    handledBy: 'assistant' | 'agent',
    ...messages: { content: string; at: Date }[]
  ): Promise<Message[]> {
    const conversation = await Conversation.query()
      .forOrganization(organization.id)
      .insert({ visitorId: `visitor-${Math.random()}`, handledBy });
    const rows = [];
    for (const { content, at } of messages) {
      rows.push(
        await Message.query()
          .forOrganization(organization.id)
          .insert({ conversationId: conversation.id, role: 'visitor', content, createdAt: at })
          .returning('*'),
      );
    }
    return rows;
  }

  /** Runs a sweeper for this organization until its first sweep is done; returns how many turns it started. */
  async function sweepOnce(): Promise<number> {
    const { client, taskQueue } = worker();
    const sweeper = await client.workflow.start<typeof sweepOrphanedTurns>('sweepOrphanedTurns', {
      workflowId: `sweeper-${randomUUID()}`,
      taskQueue,
      args: [{ organizationId: organization.id }],
    });
    try {
      const result = await eventually(
        async () => {
          const { events } = await sweeper.fetchHistory();
          const done = events!.find((e) => e.activityTaskCompletedEventAttributes);
          return done?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
        },
        (data) => data !== undefined && data !== null,
        'the first sweep',
      );
      return (JSON.parse(Buffer.from(result!).toString()) as { started: number }).started;
    } finally {
      await sweeper.terminate('one sweep is enough');
    }
  }

  const replyTo = async (message: Message): Promise<Message | undefined> =>
    await Message.query()
      .forOrganization(organization.id)
      .findOne({ replyToMessageId: message.id, role: 'assistant' });

  it('starts the turn of the latest unanswered message of each conversation, once', async () => {
    const [orphan] = await conversationWith('assistant', {
      content: 'Where is my parcel?',
      at: minutesAgo(2),
    });
    const [superseded, latest] = await conversationWith(
      'assistant',
      { content: 'Hello?', at: minutesAgo(4) },
      { content: 'Can I change my plan?', at: minutesAgo(3) },
    );
    const [withHuman] = await conversationWith('agent', { content: 'Any news?', at: minutesAgo(2) });
    const [tooOld] = await conversationWith('assistant', { content: 'Still there?', at: minutesAgo(30) });
    const [tooRecent] = await conversationWith('assistant', { content: 'Just asked', at: new Date() });

    expect(await sweepOnce()).toBe(2);
    for (const message of [orphan!, latest!]) {
      await eventually(
        () => replyTo(message),
        (reply) => reply !== undefined,
        `a reply to "${message.content}"`,
      );
    }
    for (const message of [superseded!, withHuman!, tooOld!, tooRecent!]) {
      expect(await replyTo(message)).toBeUndefined();
      await expect(
        worker().client.workflow.getHandle(turnWorkflowId(message.id)).describe(),
      ).rejects.toThrow();
    }
    // The next sweep finds the turns already run (their workflow ids are taken) and starts none.
    expect(await sweepOnce()).toBe(0);
  });
});
