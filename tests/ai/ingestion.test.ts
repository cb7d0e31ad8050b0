import fs from 'node:fs';
import path from 'node:path';
import { Embeddings } from '@langchain/core/embeddings';
import { normalize } from '../../src/ai/embeddings';
import { TenantIndexStore } from '../../src/ai/tenant-index';
import { createLogger } from '../../src/lib/logger';
import { documentsEmbeddedByOtherModels } from '../../src/services/knowledge';
import { Document, DocumentChunk, type Organization } from '../../src/db/models';
import { ingestWorkflowId } from '../../src/workflows/contracts';
import { useTestDatabase } from '../helpers/db';
import { documentFixture } from '../helpers/documents';
import { buildOrganization } from '../helpers/factories';
import { testActor, uploaded, useKnowledgeServices, waitForDocument } from '../helpers/knowledge';
import { useTestSite } from '../helpers/site';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const services = useKnowledgeServices(db, worker);

/** A small site whose pages the tests change between syncs. */
const pages = new Map<string, string>();
const site = useTestSite((req, res) => {
  const body = pages.get(req.url ?? '');
  if (body === undefined) {
    res.writeHead(404).end('not found');
    return;
  }
  const type = req.url!.endsWith('.xml') ? 'application/xml' : 'text/html';
  res.writeHead(200, { 'content-type': type }).end(body);
});

const page = (title: string, text: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body><nav>Menu</nav><main><h1>${title}</h1><p>${text}</p></main></body></html>`;

const chunksOf = (organization: Organization, documentId: string) =>
  DocumentChunk.query().forOrganization(organization.id).where('documentId', documentId).orderBy('position');

describe('document ingestion workflow', () => {
  let organization: Organization;
  beforeAll(async () => {
    organization = await buildOrganization();
  });

  it.each([
    ['guide.pdf', 'application/pdf'],
    ['security.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
    ['billing.html', 'text/html'],
    ['widget-setup.md', 'text/markdown'],
    ['opening-hours.txt', 'text/plain'],
  ])('ingests %s into embedded chunks', async (name, mimeType) => {
    const { documents } = services();
    const created = await documents.upload(organization.id, uploaded(name, documentFixture(name)));
    const document = await waitForDocument(organization.id, created.id);

    expect(document).toMatchObject({ status: 'ready', version: 1, mimeType, error: null });
    expect(document.progress).toMatchObject({ stage: 'ready' });
    const chunks = await chunksOf(organization, document.id);
    expect(chunks.length).toBeGreaterThan(0);
    expect(document.progress.chunksTotal).toBe(chunks.length);
    expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
    expect(chunks.every((c) => c.embedding?.length === 384 * 4 && c.documentVersion === 1)).toBe(true);
  });

  it("keeps a title given at upload, and otherwise takes the file's own", async () => {
    const { documents } = services();
    const file = uploaded('widget-setup.md', documentFixture('widget-setup.md'));
    const given = await documents.upload(organization.id, file, 'Our widget guide');
    const untitled = await documents.upload(organization.id, file);
    expect(untitled.title).toBe('widget-setup.md');
    // The file's H1 is "Installing the chat widget".
    expect(await waitForDocument(organization.id, given.id)).toMatchObject({
      status: 'ready',
      title: 'Our widget guide',
    });
    expect(await waitForDocument(organization.id, untitled.id)).toMatchObject({
      status: 'ready',
      title: 'Installing the chat widget',
    });
  });

  it.each([
    ['encrypted.pdf', /password-protected/],
    ['truncated.pdf', /damaged|corrupt|could not be read/i],
  ])('fails %s with a clear reason and stores no chunks', async (name, reason) => {
    const { documents } = services();
    const created = await documents.upload(organization.id, uploaded(name, documentFixture(name)));
    const document = await waitForDocument(organization.id, created.id);
    expect(document.status).toBe('failed');
    expect(document.error).toMatch(reason);
    expect(await chunksOf(organization, document.id)).toHaveLength(0);
    const handle = worker().client.workflow.getHandle(ingestWorkflowId(document.id));
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('FAILED');
  });

  it('refuses at upload a file whose content is not a supported type, whatever its name', async () => {
    const { documents } = services();
    await expect(
      documents.upload(organization.id, uploaded('report.pdf', documentFixture('image-renamed.pdf'))),
    ).rejects.toMatchObject({ status: 415, slug: 'unsupported-media-type' });
  });

  /** A small upload, ingested: the document, its workflow and its chunks. */
  async function ingestedHours() {
    const created = await services().documents.upload(
      organization.id,
      uploaded('hours.txt', documentFixture('opening-hours.txt')),
    );
    const handle = worker().client.workflow.getHandle(ingestWorkflowId(created.id));
    expect(await handle.result()).toMatchObject({ stage: 'ready' });
    return { created, handle, before: await chunksOf(organization, created.id) };
  }

  it('does not re-embed unchanged content on re-sync', async () => {
    const { documents } = services();
    const { created, handle, before } = await ingestedHours();

    await documents.resync(organization.id, created.id);
    expect(await handle.result()).toMatchObject({ stage: 'unchanged' });
    const after = await chunksOf(organization, created.id);
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id));
    expect((await waitForDocument(organization.id, created.id)).version).toBe(1);
  });

  it('gives a title its vector on re-sync when it was ingested before titles had one', async () => {
    const { documents } = services();
    const { created, handle } = await ingestedHours();
    const titled = () => Document.query().forOrganization(organization.id).findById(created.id);
    const vector = (await titled())!.titleEmbedding;
    expect(vector?.length).toBe(384 * 4);
    await Document.query()
      .forOrganization(organization.id)
      .findById(created.id)
      .patch({ titleEmbedding: null });

    await documents.resync(organization.id, created.id);
    expect(await handle.result()).toMatchObject({ stage: 'unchanged' });
    expect((await titled())!.titleEmbedding).toEqual(vector);
    const indexes = await worker().dependencies.indexes.get(organization.id);
    expect(indexes.titles.vector(created.id)).toBeDefined();
  });

  it('cuts unchanged content again on re-sync once the chunking settings changed', async () => {
    const { documents } = services();
    const { created, handle, before } = await ingestedHours();

    const { ingestion } = worker().dependencies;
    const { chunkSize } = ingestion;
    Object.assign(ingestion, { chunkSize: 120 });
    try {
      // What `npm run reindex` does, for this organization.
      const started = await documents.resyncAll([organization.id]);
      const all = await Document.query().forOrganization(organization.id).whereNull('parentDocumentId');
      expect(started).toBe(all.length);
      expect(await handle.result()).toMatchObject({ stage: 'ready' });
      // The organization's other documents are cut again too (the unreadable ones fail again); let
      // them all finish under these settings.
      const finished = all.map((document) =>
        worker()
          .client.workflow.getHandle(ingestWorkflowId(document.id))
          .result()
          .catch(() => undefined),
      );
      await Promise.all(finished);
    } finally {
      Object.assign(ingestion, { chunkSize });
    }
    const after = await chunksOf(organization, created.id);
    expect((await waitForDocument(organization.id, created.id)).version).toBe(2);
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.every((chunk) => chunk.text.length <= 120)).toBe(true);
  });

  it('embeds every document again after a change of embedding model, and never mixes two models', async () => {
    const { documents } = services();
    // An organization of its own: its indexes hold this document only.
    const organization = await buildOrganization();
    const created = await documents.upload(
      organization.id,
      uploaded('hours.txt', documentFixture('opening-hours.txt')),
    );
    const handle = worker().client.workflow.getHandle(ingestWorkflowId(created.id));
    await handle.result();
    const dependencies = worker().dependencies;
    const before = await chunksOf(organization, created.id);
    expect(before.every((c) => c.embeddingModel === 'local/all-MiniLM-L6-v2')).toBe(true);

    // Another model, of another size: the configured one's vectors cut to 16 components.
    const { embeddings: configured, embeddingModel: configuredModel } = dependencies;
    const other = new (class extends Embeddings {
      async embedDocuments(texts: string[]) {
        return (await configured.embedDocuments(texts)).map((v) => normalize(v.slice(0, 16)));
      }
      async embedQuery(text: string) {
        return normalize((await configured.embedQuery(text)).slice(0, 16));
      }
    })({});
    const otherStore = new TenantIndexStore({
      knex: db(),
      dir: path.dirname(dependencies.indexes.indexDir(organization.id)),
      embedder: { model: 'test/first-16', dimension: 16 },
      logger: createLogger({ level: 'silent', name: 'test' }),
    });
    // A worker started with the other model rebuilds the saved index without the first model's vectors.
    expect(await otherStore.sync(organization.id)).toMatchObject({ action: 'rebuilt', size: 0 });

    Object.assign(dependencies, { embeddings: other, embeddingModel: 'test/first-16' });
    try {
      // What `npm run reindex` does after the change: the unchanged text is cut and embedded again.
      await documents.resyncAll([organization.id]);
      expect(await handle.result()).toMatchObject({ stage: 'ready' });
    } finally {
      Object.assign(dependencies, { embeddings: configured, embeddingModel: configuredModel });
    }
    const after = await chunksOf(organization, created.id);
    expect((await waitForDocument(organization.id, created.id)).version).toBe(2);
    expect(after.map((c) => c.text)).toEqual(before.map((c) => c.text));
    expect(after.every((c) => c.embeddingModel === 'test/first-16' && c.embedding?.length === 16 * 4)).toBe(
      true,
    );
    expect(await otherStore.sync(organization.id)).toMatchObject({ size: after.length });
    const hits = (await otherStore.get(organization.id)).vector.search(
      await other.embedQuery('When are you open?'),
      3,
    );
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((hit) => after.some((c) => c.id === hit.id))).toBe(true);
    // The first model's index now holds nothing: its vectors are gone, none of the new ones are its.
    expect(await dependencies.indexes.sync(organization.id)).toMatchObject({ size: 0 });
    // What a worker of either model reports at start: this document, for the first model only.
    const unsearched = await documentsEmbeddedByOtherModels(db(), configuredModel);
    expect(unsearched.documents).toBeGreaterThanOrEqual(1);
    await documents.delete(testActor(organization.id), created.id);
    expect(await documentsEmbeddedByOtherModels(db(), configuredModel)).toEqual({
      documents: unsearched.documents - 1,
      organizations: expect.any(Number) as number,
    });
  });

  it('ingests a URL, picks up a changed page as a new version, and reports a page that is gone', async () => {
    const { documents } = services();
    pages.set('/returns', page('Returns', 'Returns are accepted within 14 days of delivery.'));
    const created = await documents.addUrl(organization.id, { url: `${site()}/returns`, type: 'url' });
    let document = await waitForDocument(organization.id, created.id);
    expect(document).toMatchObject({ status: 'ready', title: 'Returns', version: 1 });

    pages.set(
      '/returns',
      page('Returns', 'Returns are accepted within 30 days of delivery, free of charge.'),
    );
    await documents.resync(organization.id, created.id);
    await waitForDocument(organization.id, created.id, ['ready'], 60_000, (d) => d.version === 2);
    const chunks = await chunksOf(organization, created.id);
    expect(chunks.every((c) => c.documentVersion === 2)).toBe(true);
    expect(chunks.map((c) => c.text).join(' ')).toContain('30 days');

    pages.delete('/returns');
    await documents.resync(organization.id, created.id);
    document = await waitForDocument(
      organization.id,
      created.id,
      ['ready', 'failed'],
      60_000,
      (d) => d.error !== null,
    );
    // It stays answerable from its last good version, and says why the sync failed.
    expect(document).toMatchObject({ status: 'ready', version: 2 });
    expect(document.error).toMatch(/not found|404/i);
    await documents.delete(testActor(organization.id), created.id);
  });

  it('ingests a sitemap page by page and drops pages removed from it', async () => {
    const { documents } = services();
    const sitemap = (paths: string[]) =>
      `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${paths
        .map((p) => `<url><loc>${site()}${p}</loc></url>`)
        .join('')}</urlset>`;
    pages.set('/kb/a', page('Shipping', 'We ship to 40 countries.'));
    pages.set('/kb/b', page('Warranty', 'Every device has a two-year warranty.'));
    pages.set('/kb/c', page('Repairs', 'Repairs take five working days.'));
    pages.set('/sitemap.xml', sitemap(['/kb/a', '/kb/b', '/kb/c']));

    const created = await documents.addUrl(organization.id, {
      url: `${site()}/sitemap.xml`,
      type: 'sitemap',
    });
    const parent = await waitForDocument(organization.id, created.id, ['ready'], 90_000);
    expect(parent.progress).toMatchObject({ chunksDone: 3, chunksTotal: 3 });
    const children = await documents.list(organization.id, { parentId: created.id, sort: 'title' });
    expect(children.items.map((d) => [d.title, d.status])).toEqual([
      ['Repairs', 'ready'],
      ['Shipping', 'ready'],
      ['Warranty', 'ready'],
    ]);

    pages.set('/sitemap.xml', sitemap(['/kb/a', '/kb/b']));
    await documents.resync(organization.id, created.id);
    await waitForDocument(
      organization.id,
      created.id,
      ['ready'],
      90_000,
      (d) => d.progress.chunksTotal === 2,
    );
    const remaining = await documents.list(organization.id, { parentId: created.id, sort: 'title' });
    expect(remaining.items.map((d) => d.title)).toEqual(['Shipping', 'Warranty']);
    await documents.delete(testActor(organization.id), created.id);
  });

  it('rebuilds a missing or corrupt index file from the stored embeddings', async () => {
    const { documents } = services();
    // An organization of its own: no other test's ingestion may touch this index meanwhile.
    const organization = await buildOrganization();
    const created = await documents.upload(
      organization.id,
      uploaded('setup.md', documentFixture('widget-setup.md')),
    );
    // The workflow ends after the index is saved (the document is ready a step earlier).
    await worker().client.workflow.getHandle(ingestWorkflowId(created.id)).result();
    const { indexes } = worker().dependencies;
    const dir = indexes.indexDir(organization.id);
    fs.writeFileSync(`${dir}/index.faiss`, 'corrupt');
    indexes.evict(organization.id);
    await db().raw('update organizations set knowledge_revision = knowledge_revision + 1 where id = ?', [
      organization.id,
    ]);
    expect(await indexes.sync(organization.id)).toMatchObject({ action: 'rebuilt' });
    fs.rmSync(dir, { recursive: true });
    indexes.evict(organization.id);
    expect(await indexes.sync(organization.id)).toMatchObject({ action: 'rebuilt' });
  });
});
