import type { Knex } from 'knex';
import { Document } from '../../src/db/models';
import type { DocumentService } from '../../src/services/documents';
import { sleep } from './stats';

/** Loading a folder of documents into a tenant through the real upload and ingestion path. */

/**
 * Uploads files through the document service and waits until every one is ready (or, with
 * `allowFailed`, ready or failed: a corpus may hold pages with no text); returns name → id.
 */
export async function ingestFiles(
  knex: Knex,
  documents: DocumentService,
  organizationId: string,
  files: { name: string; content: Buffer }[],
  timeoutMs = 300_000,
  allowFailed = false,
): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  for (const file of files) {
    const created = await documents.upload(organizationId, {
      originalname: file.name,
      mimetype: 'application/octet-stream',
      buffer: file.content,
      size: file.content.length,
    });
    ids.set(file.name, created.id);
  }
  await waitForDocuments(knex, organizationId, [...ids.values()], timeoutMs, allowFailed);
  return ids;
}

/** Polls until the documents are ready; a failed one is an error with its reason unless allowed. */
export async function waitForDocuments(
  knex: Knex,
  organizationId: string,
  ids: string[],
  timeoutMs: number,
  allowFailed = false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = await Document.query(knex)
      .forOrganization(organizationId)
      .whereIn('id', ids)
      .select('title', 'status', 'error');
    const failed = rows.find((d) => d.status === 'failed');
    if (failed && !allowFailed) throw new Error(`${failed.title} failed to ingest: ${failed.error}`);
    if (rows.length === ids.length && rows.every((d) => d.status === 'ready' || d.status === 'failed'))
      return;
    if (Date.now() > deadline) throw new Error(`documents still ingesting after ${timeoutMs} ms`);
    await sleep(ids.length > 100 ? 1_000 : 100);
  }
}
