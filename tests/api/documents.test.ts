import type { ParleyClient } from '../../src/client';
import { useTestApi } from '../helpers/api';
import { addMember, signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { documentFixture } from '../helpers/documents';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, {
  taskQueue: () => worker().taskQueue,
  configure: (config) => ({ ...config, ingestion: { ...config.ingestion, uploadMaxBytes: 200_000 } }),
});

/** Uploads through the generated client as multipart/form-data. */
function upload(client: ParleyClient, name: string, bytes: Buffer, title?: string) {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)]), name);
  if (title) form.append('title', title);
  return client.POST('/v1/documents/upload', {
    body: { file: name },
    bodySerializer: () => form,
  });
}

async function waitUntilReady(client: ParleyClient, id: string) {
  for (let i = 0; i < 300; i++) {
    const { data } = await client.GET('/v1/documents/{id}', { params: { path: { id } } });
    if (data && (data.status === 'ready' || data.status === 'failed')) return data;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('ingestion did not finish');
}

describe('documents API', () => {
  let owner: Account;
  beforeAll(async () => {
    owner = await signUp(api());
    await upgrade(owner.session.organization.id);
  });

  it('uploads a file, shows its ingestion progress, lists, re-syncs and deletes it', async () => {
    const created = await upload(
      owner.client,
      'setup.md',
      documentFixture('widget-setup.md'),
      'Widget setup',
    );
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ title: 'Widget setup', sourceType: 'upload', version: 0 });
    const id = created.data!.id;

    const ready = await waitUntilReady(owner.client, id);
    expect(ready).toMatchObject({ status: 'ready', version: 1, mimeType: 'text/markdown', error: null });
    expect(ready.progress).toMatchObject({ stage: 'ready' });
    expect(ready.progress.chunksTotal).toBeGreaterThan(0);

    const listed = await owner.client.GET('/v1/documents', {
      params: { query: { status: 'ready', q: 'widget' } },
    });
    expect(listed.error).toBeUndefined();
    expect(listed.data!.items.map((d) => d.id)).toContain(id);

    const resync = await owner.client.POST('/v1/documents/{id}/resync', { params: { path: { id } } });
    expect(resync.response.status).toBe(202);

    const removed = await owner.client.DELETE('/v1/documents/{id}', { params: { path: { id } } });
    expect(removed.response.status).toBe(204);
    const gone = await owner.client.GET('/v1/documents/{id}', { params: { path: { id } } });
    expect(gone.response.status).toBe(404);
    expect(gone.error).toMatchObject({ type: `${api().baseUrl}/problems/not-found` });
  });

  it('pages through documents with a cursor', async () => {
    const fresh = await signUp(api());
    for (const title of ['One', 'Two', 'Three']) {
      await fresh.client.POST('/v1/documents', {
        body: { url: `https://help.example.com/${title}`, type: 'url', title },
      });
    }
    const first = await fresh.client.GET('/v1/documents', { params: { query: { limit: 2, sort: 'title' } } });
    expect(first.data!.items.map((d) => d.title)).toEqual(['One', 'Three']);
    const second = await fresh.client.GET('/v1/documents', {
      params: { query: { limit: 2, sort: 'title', cursor: first.data!.nextCursor! } },
    });
    expect(second.data).toEqual({ items: [expect.objectContaining({ title: 'Two' })], nextCursor: null });
  });

  it('refuses a file whose content is not a supported type, whatever its name', async () => {
    const res = await upload(owner.client, 'report.pdf', documentFixture('image-renamed.pdf'));
    expect(res.response.status).toBe(415);
    expect(res.error).toMatchObject({ type: `${api().baseUrl}/problems/unsupported-media-type` });
  });

  it('refuses a file over the upload limit with 413', async () => {
    const res = await upload(owner.client, 'big.txt', Buffer.alloc(300_000, 'a'));
    expect(res.response.status).toBe(413);
    expect(res.error).toMatchObject({ type: `${api().baseUrl}/problems/payload-too-large` });
  });

  it('validates URL documents with field errors', async () => {
    const bad = await owner.client.POST('/v1/documents', {
      body: { url: 'ftp://files.example.com/a', type: 'url' },
    });
    expect(bad.response.status).toBe(422);
    expect(bad.error).toMatchObject({ errors: [{ field: 'body.url' }] });
    const extra = await owner.client.POST('/v1/documents', {
      body: { url: 'https://help.example.com', type: 'url', colour: 'red' } as never,
    });
    expect(extra.response.status).toBe(422);
    const wrongType = await owner.client.POST('/v1/documents', {
      body: { url: 'https://help.example.com', type: 'rss' } as never,
    });
    expect(wrongType.response.status).toBe(422);
  });

  it('lets agents read but not change the knowledge base', async () => {
    const agent = await addMember(api(), owner, 'agent');
    expect((await agent.client.GET('/v1/documents')).response.status).toBe(200);
    const res = await agent.client.POST('/v1/documents', {
      body: { url: 'https://help.example.com', type: 'url' },
    });
    expect(res.response.status).toBe(403);
  });
});
