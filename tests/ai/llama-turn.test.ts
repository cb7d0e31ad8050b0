import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/lib/logger';
import { ConversationService } from '../../src/services/conversations';
import { DocumentService } from '../../src/services/documents';
import { TemporalGateway } from '../../src/temporal/client';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { uploaded, waitForDocument } from '../helpers/knowledge';
import { startWorkerProcess } from '../helpers/worker-process';

const db = useTestDatabase();

/**
 * A chat turn answered by the local GGUF model (SmolLM2-135M from PyPI, see scripts/prepare-models.sh)
 * in a real worker process: weak answers, but the whole path — LangChain chat model, node-llama-cpp,
 * streaming, citations, the turn record — runs for real. (Jest cannot load node-llama-cpp itself: it
 * is an ES module with top-level await.)
 */
describe('chat turn with the local GGUF model', () => {
  const taskQueue = `llama-${randomUUID()}`;
  let worker: ChildProcess;
  let temporal: TemporalGateway;

  beforeAll(() => {
    const config = loadConfig();
    temporal = new TemporalGateway(
      { ...config.temporal, taskQueue },
      createLogger({ level: 'silent', name: 't' }),
    );
    worker = startWorkerProcess(taskQueue, path.join(__dirname, '..', '..', '.data', `${taskQueue}.log`), {
      GENERATION_PROVIDER: 'llama',
    });
  });
  afterAll(async () => {
    worker.kill('SIGKILL');
    await temporal.close();
  });

  it('answers with the local model, streaming, and records the model on the reply', async () => {
    const config = loadConfig();
    const deps = { knex: db(), temporal, config };
    const documents = new DocumentService(deps);
    const conversations = new ConversationService(deps);
    const organization = await buildOrganization({ plan: 'pro' });
    const article = Buffer.from(
      '# Refunds\n\nWe offer a full refund within 30 days of your first paid charge.\n',
    );
    const document = await documents.upload(organization.id, uploaded('refunds.md', article));
    await waitForDocument(organization.id, document.id, ['ready'], 120_000);

    const conversation = await conversations.create(organization.id, { visitorId: 'v' });
    const { workflowId } = await conversations.postVisitorMessage(organization.id, conversation.id, {
      content: 'How many days do I have to ask for a refund?',
    });
    const { result, reply } = await conversations.awaitReply(organization.id, workflowId, 150_000);
    expect(result.outcome).toBe('answer');
    expect(reply).toMatchObject({
      model: 'llama:SmolLM2-135M-Instruct.Q4_1.gguf',
      promptVersion: 'grounded-answer-v2',
    });
    expect(reply!.retrievalTrace!.stream).toBe('model');
    expect(reply!.content.length).toBeGreaterThan(0);
    expect(reply!.citations[0]).toMatchObject({ documentId: document.id, title: 'Refunds' });
  }, 240_000);
});
