import type { AnswerGenerator } from '../../src/ai/generation/types';
import type { Organization } from '../../src/db/models';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, useKnowledgeServices, waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const services = useKnowledgeServices(db, worker);

/**
 * A model may think (or load) for longer than the generation's heartbeat timeout before its first
 * token. The worker heartbeats all the while, so the attempt is not mistaken for a dead worker's and
 * run again.
 */
describe('a generator slow to its first token', () => {
  let organization: Organization;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    const article = Buffer.from('# Shipping\n\nOrders ship within two working days from our warehouse.\n');
    const document = await services().documents.upload(organization.id, uploaded('shipping.md', article));
    await waitForDocument(organization.id, document.id, ['ready']);
  });

  it('answers in one attempt of the generation activity', async () => {
    const { dependencies } = worker();
    const fast = dependencies.generator;
    let calls = 0;
    const slow: AnswerGenerator = {
      model: fast.model,
      generate: async (request, onToken, signal) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 7_000)); // > the 5 s heartbeat timeout
        return fast.generate(request, onToken, signal);
      },
    };
    dependencies.generator = slow;
    try {
      const { conversations } = services();
      const conversation = await conversations.create(organization.id, { visitorId: 'patient-visitor' });
      const { workflowId } = await conversations.postVisitorMessage(organization.id, conversation.id, {
        content: 'How quickly do orders ship?',
      });
      const started = Date.now();
      const { result } = await conversations.awaitReply(organization.id, workflowId, 60_000);
      expect(result.outcome).toBe('answer');
      // The slow generator did the answering, once, and took its time.
      expect(calls).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(6_500);
      const { events } = await worker().client.workflow.getHandle(workflowId).fetchHistory();
      const attempts = events!.flatMap((e) => (e.activityTaskStartedEventAttributes ? [e] : []));
      expect(attempts.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    } finally {
      dependencies.generator = fast;
    }
  });
});
