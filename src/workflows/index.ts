// Every workflow the worker registers. The worker's bundle is built from this file.
export { healthCheck } from './health';
export { ingestDocument } from './ingestion';
export { chatTurn } from './chat-turn';
export { sweepOrphanedTurns } from './sweeper';
export { ticketLifecycle } from './tickets';
export { subscriptionLifecycle } from './subscription';
export { deliverEmail } from './email';
export { deliverWebhook, dispatchWebhooks } from './webhooks';
export { testRun, testRunsAfterKnowledgeChange } from './test-runs';
export { deleteOrganization } from './organization-deletion';
