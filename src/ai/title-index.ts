import type { Knex } from 'knex';
import { Document } from '../db/models';
import { cosine, decodeVector } from './vector-codec';

/**
 * Each live document's title vector, for retrieval's third ranking: a question often names the topic a
 * page is titled by rather than its words, and on a real manual a page's title found the right page
 * where its passages did not. A tenant has thousands of pages, not millions, so the search is
 * exhaustive. Derived from PostgreSQL like the other indexes and synced with them; only documents
 * whose title vector or version changed are read again.
 */
export class TitleIndex {
  private readonly titles = new Map<string, { version: number; vector: Float32Array }>();

  constructor(public revision: string) {}

  get size(): number {
    return this.titles.size;
  }

  /** The document's title vector, if it has one. */
  vector(documentId: string): Float32Array | undefined {
    return this.titles.get(documentId)?.vector;
  }

  /** The k documents whose titles are nearest the query, by cosine similarity (best first). */
  search(query: ArrayLike<number>, k: number): { documentId: string; score: number }[] {
    const scored = [...this.titles].map(([documentId, { vector }]) => ({
      documentId,
      score: cosine(query, vector),
    }));
    return scored.sort((a, b) => b.score - a.score || a.documentId.localeCompare(b.documentId)).slice(0, k);
  }

  /** Brings the titles in step with the organization's live documents. */
  async sync(knex: Knex, organizationId: string, revision: string): Promise<void> {
    const live = await Document.query(knex)
      .forOrganization(organizationId)
      .where('status', 'ready')
      .whereNotNull('titleEmbedding')
      .select('id', 'version');
    const current = new Map(live.map((d) => [d.id, d.version]));
    for (const id of [...this.titles.keys()]) if (!current.has(id)) this.titles.delete(id);
    const changed = live.filter((d) => this.titles.get(d.id)?.version !== d.version).map((d) => d.id);
    for (let start = 0; start < changed.length; start += 1_000) {
      const rows = await Document.query(knex)
        .forOrganization(organizationId)
        .whereIn('id', changed.slice(start, start + 1_000))
        .whereNotNull('titleEmbedding')
        .select('id', 'version', 'titleEmbedding');
      for (const row of rows)
        this.titles.set(row.id, { version: row.version, vector: decodeVector(row.titleEmbedding!) });
    }
    this.revision = revision;
  }
}
