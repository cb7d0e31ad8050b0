import type { Knex } from 'knex';
import { Organization } from '../db/models';

/** Any change to what is searchable moves the revision, so every worker's vector index resyncs. */
export async function bumpKnowledgeRevision(
  db: Knex | Knex.Transaction,
  organizationId: string,
): Promise<void> {
  await Organization.query(db).findById(organizationId).increment('knowledgeRevision', 1);
}
