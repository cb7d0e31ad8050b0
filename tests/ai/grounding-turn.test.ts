import { FakeListChatModel } from '@langchain/core/utils/testing';
import { ChatModelGenerator } from '../../src/ai/generation/chat-model';
import type { Organization } from '../../src/db/models';
import { replies } from '../../src/domain/replies';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, useKnowledgeServices, waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const services = useKnowledgeServices(db, worker);

/**
 * A language model's reply passes the grounding check before it is stored: what the passages do not
 * support is dropped, and a reply left empty turns into an abstention. The model is LangChain's scripted
 * chat model (no model here says a chosen wrong thing on demand); the generator, the check and the turn
 * are the production ones.
 */
describe('a generated reply, checked against the passages', () => {
  let organization: Organization;

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    const article = Buffer.from(
      '# Returns\n\n## Flown kites\n\nA flown kite can be returned within 14 days, as store credit only.\n',
    );
    const document = await services().documents.upload(organization.id, uploaded('returns.md', article));
    await waitForDocument(organization.id, document.id, ['ready']);
  });

  const askWith = async (reply: string, question: string) => {
    const { dependencies } = worker();
    const configured = dependencies.generator;
    dependencies.generator = new ChatModelGenerator(
      new FakeListChatModel({ responses: [reply] }),
      'scripted',
    );
    try {
      const { conversations } = services();
      const conversation = await conversations.create(organization.id, {
        visitorId: `grounding-${Date.now()}`,
      });
      const { workflowId } = await conversations.postVisitorMessage(organization.id, conversation.id, {
        content: question,
      });
      return await conversations.awaitReply(organization.id, workflowId, 60_000);
    } finally {
      dependencies.generator = configured;
    }
  };

  it('keeps what the passages say and drops the rest', async () => {
    const { result, reply } = await askWith(
      'Hi there! A flown kite can be returned within 14 days, as store credit only [1]. We also refund shipping twice.',
      'Can I return a kite I already flew?',
    );
    expect(result.outcome).toBe('answer');
    expect(reply!.content).toBe('A flown kite can be returned within 14 days, as store credit only [1].');
    expect(reply!.citations.map((c) => c.section)).toEqual(['Returns › Flown kites']);
  });

  it('abstains when nothing of the reply is supported', async () => {
    const { result, reply } = await askWith(
      'Sure! Kites can be returned for 90 days with free pickup from your home.',
      'Can I return a kite I already flew?',
    );
    expect(result.outcome).toBe('abstain');
    expect(result.reasons).toEqual(['no sentence of the generated reply was supported by the documents']);
    expect(reply!.content).toBe(replies.abstain);
    expect(reply!.citations).toEqual([]);
  });
});
