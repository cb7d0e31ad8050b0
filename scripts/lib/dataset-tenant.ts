import { createHash } from 'node:crypto';
import path from 'node:path';
import { Document, DocumentFile, Organization } from '../../src/db/models';
import { CHUNKER_VERSION } from '../../src/ingestion';
import { ingestDataset, type Dataset } from './eval';
import { apiServices, createTenant, type BenchStack } from './stack';

/**
 * A tenant holding a dataset's documents, ingested through the real upload and ingestion path. Its
 * name records the dataset and what shapes its passages (chunker version, chunk size, embedding
 * model); with `reuse`, the newest tenant of that name whose documents are all ready (or failed) is
 * used again, so a 2,500-page corpus is ingested once across `npm run eval` and `npm run calibrate`.
 */
export async function datasetTenant(
  stack: BenchStack,
  dataset: Dataset,
  reuse: boolean,
): Promise<{ organizationId: string; ids: Map<string, string>; ingested: boolean }> {
  const cut = `${CHUNKER_VERSION} ${stack.config.ingestion.chunkSize} ${stack.config.embeddings.modelId}`;
  const name = `Eval ${path.basename(dataset.folder)} ${createHash('sha256').update(cut).digest('hex').slice(0, 8)}`;
  if (reuse) {
    const existing = await Organization.query(stack.knex)
      .where('name', 'like', `${name} %`)
      .orderBy('createdAt', 'desc')
      .first();
    if (existing) {
      const settled = await Document.query(stack.knex)
        .forOrganization(existing.id)
        .whereIn('status', ['ready', 'failed'])
        .resultSize();
      if (settled === dataset.files.length) {
        const files = await DocumentFile.query(stack.knex)
          .forOrganization(existing.id)
          .select('documentId', 'filename');
        return {
          organizationId: existing.id,
          ids: new Map(files.map((f) => [f.filename, f.documentId])),
          ingested: false,
        };
      }
    }
  }
  const tenant = await createTenant(stack, name);
  const { documents } = apiServices(stack);
  const ids = await ingestDataset({
    knex: stack.knex,
    dataset,
    organizationId: tenant.organization.id,
    documents,
  });
  return { organizationId: tenant.organization.id, ids, ingested: true };
}
