import { Conversation, Message } from '../../src/db/models';
import { useTestApi } from '../helpers/api';
import { signUp, upgrade, type Account } from '../helpers/accounts';
import { useTestDatabase } from '../helpers/db';
import { waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const api = useTestApi(db, { taskQueue: () => worker().taskQueue });

const RETURNS = `# Kite returns

Read this before you send a kite back. <script>window.__xss = 1</script>

## Flown kites

A kite you already flew can be returned within **30 days** if the sail is not torn.

## Refund timing

Refunds reach your card within five working days.
`;

const STAFF = `# Warehouse handbook

## Damaged parcels

Staff open a damaged parcel claim with the carrier within 48 hours of delivery.
`;

describe('document visibility and article pages', () => {
  let owner: Account;
  let other: Account;
  let publicId: string;
  let internalId: string;

  const upload = async (account: Account, name: string, text: string, visibility?: string) => {
    const form = new FormData();
    form.append('file', new Blob([text]), name);
    if (visibility) form.append('visibility', visibility);
    return account.client.POST('/v1/documents/upload', { body: { file: '' }, bodySerializer: () => form });
  };

  const ask = async (account: Account, question: string) => {
    const { data: conversation } = await account.client.POST('/v1/conversations', { body: {} });
    const posted = await account.client.POST('/v1/conversations/{id}/messages', {
      params: { path: { id: conversation!.id }, query: { wait: true } },
      body: { content: question },
    });
    return { conversationId: conversation!.id, reply: posted.data!.turn.reply! };
  };

  beforeAll(async () => {
    // The worker's public address is the API's, as in a deployment: citations link back to it.
    worker().dependencies.publicUrl = api().baseUrl;
    owner = await signUp(api());
    other = await signUp(api());
    await upgrade(owner.session.organization.id);
    const pub = await upload(owner, 'returns.md', RETURNS);
    const internal = await upload(owner, 'handbook.md', STAFF, 'internal');
    expect(pub.data!.visibility).toBe('public');
    expect(internal.data!.visibility).toBe('internal');
    publicId = pub.data!.id;
    internalId = internal.data!.id;
    await waitForDocument(owner.session.organization.id, publicId, ['ready']);
    await waitForDocument(owner.session.organization.id, internalId, ['ready']);
  });

  const articleUrl = (organizationId: string, documentId: string) =>
    `${api().baseUrl}/articles/${organizationId}/${documentId}`;

  it("links a public upload's citation to its article page, which shows its title and headings, escaped", async () => {
    const { reply } = await ask(owner, 'Can I return a kite I already flew?');
    const citation = reply.citations.find((c) => c.documentId === publicId)!;
    // The section's anchor (small sections join their siblings, under the first one's anchor).
    const [address, anchor] = citation.url!.split('#');
    expect(address).toBe(articleUrl(owner.session.organization.id, publicId));
    expect(anchor).toMatch(/^[\w-]+$/);

    const res = await fetch(citation.url!);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<h1>Kite returns</h1>');
    expect(page).toContain('<h2>Flown kites</h2>');
    expect(page).toContain(`id="${anchor}"`);
    expect(page).toContain('<strong>30 days</strong>');
    expect(page).toContain('&lt;script&gt;window.__xss = 1&lt;/script&gt;');
    expect(page).not.toMatch(/<script/);
    expect(page).not.toContain('/console');
  });

  it('cites an internal document by title only: no link in the citation, the trace or the widget frame, and its article is 404', async () => {
    const { conversationId, reply } = await ask(owner, 'How soon must staff claim a damaged parcel?');
    const citation = reply.citations.find((c) => c.documentId === internalId)!;
    expect(citation).toMatchObject({ title: 'Warehouse handbook', url: null });

    const organizationId = owner.session.organization.id;
    const stored = await Message.query().forOrganization(organizationId).findById(reply.id);
    expect(JSON.stringify(stored!.retrievalTrace)).not.toMatch(/\/articles\//);
    const conversation = await Conversation.query().forOrganization(organizationId).findById(conversationId);
    const [frame] = await api().services.live.visitors.toWire(
      { organizationId, visitorId: conversation!.visitorId, conversationId },
      [stored!],
    );
    expect(frame!.citations.find((c) => c.documentId === internalId)!.url).toBeNull();

    const res = await fetch(articleUrl(organizationId, internalId));
    expect(res.status).toBe(404);
  });

  it('stops linking a document made internal, on old replies too, and links it again when public', async () => {
    const organizationId = owner.session.organization.id;
    const { conversationId, reply } = await ask(owner, 'How long do refunds take to reach my card?');
    expect(reply.citations[0]!.url).toMatch(/\/articles\//);

    const patched = await owner.client.PATCH('/v1/documents/{id}', {
      params: { path: { id: publicId } },
      body: { visibility: 'internal' },
    });
    expect(patched.data!.visibility).toBe('internal');
    expect((await fetch(articleUrl(organizationId, publicId))).status).toBe(404);
    const conversation = await Conversation.query().forOrganization(organizationId).findById(conversationId);
    const stored = await Message.query().forOrganization(organizationId).findById(reply.id);
    const [frame] = await api().services.live.visitors.toWire(
      { organizationId, visitorId: conversation!.visitorId, conversationId },
      [stored!],
    );
    expect(frame!.citations[0]!.url).toBeNull();
    const again = await ask(owner, 'How long do refunds take to reach my card?');
    expect(again.reply.citations.find((c) => c.documentId === publicId)!.url).toBeNull();

    await owner.client.PATCH('/v1/documents/{id}', {
      params: { path: { id: publicId } },
      body: { visibility: 'public' },
    });
    expect((await fetch(articleUrl(organizationId, publicId))).status).toBe(200);
  });

  it("answers 404 for another organization's document, by article URL and by API, and it cannot change it", async () => {
    const res = await fetch(articleUrl(other.session.organization.id, publicId));
    expect(res.status).toBe(404);
    const read = await other.client.GET('/v1/documents/{id}', { params: { path: { id: publicId } } });
    expect(read.response.status).toBe(404);
    const patched = await other.client.PATCH('/v1/documents/{id}', {
      params: { path: { id: publicId } },
      body: { visibility: 'internal' },
    });
    expect(patched.response.status).toBe(404);
    expect(patched.response.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const mine = await owner.client.GET('/v1/documents/{id}', { params: { path: { id: publicId } } });
    expect(mine.data!.visibility).toBe('public');
  });

  it('refuses a visibility that is neither public nor internal with a problem document', async () => {
    const patched = await owner.client.PATCH('/v1/documents/{id}', {
      params: { path: { id: publicId } },
      body: { visibility: 'secret' as 'public' },
    });
    expect(patched.response.status).toBe(422);
    const uploaded = await upload(owner, 'x.md', '# X\n\nText.\n', 'secret');
    expect(uploaded.response.status).toBe(422);
    expect(uploaded.error).toMatchObject({ type: expect.stringMatching(/validation/) as string });
    expect(JSON.stringify(uploaded.error)).toContain('body.visibility');
  });

  it('answers 404 for a malformed article address', async () => {
    const res = await fetch(`${api().baseUrl}/articles/not-a-uuid/${publicId}`);
    expect(res.status).toBe(404);
  });
});
