import type { Knex } from 'knex';
import { Organization } from '../db/models';

/** Any change to what is searchable moves the revision, so every worker's vector index resyncs. */
export async function bumpKnowledgeRevision(
  db: Knex | Knex.Transaction,
  organizationId: string,
): Promise<void> {
  await Organization.query(db).findById(organizationId).increment('knowledgeRevision', 1);
}

/**
 * Live documents (and their organizations) that another model than `embeddingModel` embedded: they
 * are not searched until a re-sync embeds them again (`npm run reindex`). Spans organizations: the
 * worker reports it once at start.
 */
export async function documentsEmbeddedByOtherModels(
  knex: Knex,
  embeddingModel: string,
): Promise<{ documents: number; organizations: number }> {
  const { rows } = await knex.raw<{ rows: { documents: number; organizations: number }[] }>(
    `select count(*)::int as documents, count(distinct d.organization_id)::int as organizations
       from documents d
      where exists (select 1 from document_chunks c
                     where c.document_id = d.id and c.document_version = d.version
                       and c.embedding_model <> ?)`,
    [embeddingModel],
  );
  return rows[0]!;
}
