import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { Document, type DocumentStatus } from '../../src/db/models';
import { createLogger } from '../../src/lib/logger';
import { ConversationService } from '../../src/services/conversations';
import { DocumentService } from '../../src/services/documents';
import { TemporalGateway } from '../../src/temporal/client';
import type { TestWorker } from './temporal';

export interface KnowledgeServices {
  documents: DocumentService;
  conversations: ConversationService;
  temporal: TemporalGateway;
}

/** The API-side services, talking to the test worker's task queue. */
export function useKnowledgeServices(
  getKnex: () => Knex,
  getWorker: () => TestWorker,
): () => KnowledgeServices {
  let services: KnowledgeServices | undefined;
  beforeAll(() => {
    const config = loadConfig();
    const temporal = new TemporalGateway(
      { ...config.temporal, taskQueue: getWorker().taskQueue },
      createLogger({ level: 'silent', name: 'test-api' }),
    );
    const deps = { knex: getKnex(), temporal, config };
    services = {
      documents: new DocumentService(deps),
      conversations: new ConversationService(deps),
      temporal,
    };
  });
  afterAll(async () => {
    await services?.temporal.close();
  });
  return () => {
    if (!services) throw new Error('useKnowledgeServices: available inside tests only');
    return services;
  };
}

/** Polls the document row until it reaches one of `statuses` (ingestion runs in the worker). */
export async function waitForDocument(
  organizationId: string,
  documentId: string,
  statuses: DocumentStatus[] = ['ready', 'failed'],
  timeoutMs = 60_000,
  until: (document: Document) => boolean = () => true,
): Promise<Document> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const document = await Document.query().forOrganization(organizationId).findById(documentId);
    if (document && statuses.includes(document.status) && until(document)) return document;
    if (Date.now() > deadline) {
      throw new Error(
        `document ${documentId} still ${document?.status} (${JSON.stringify(document?.progress)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const uploaded = (name: string, content: Buffer, mimetype = 'application/octet-stream') => ({
  originalname: name,
  mimetype,
  buffer: content,
  size: content.length,
});

/** An actor for service calls made by tests (no member, no key). */
export const testActor = (organizationId: string) => ({
  organizationId,
  userId: null,
  apiKeyId: null,
  ip: null,
});
