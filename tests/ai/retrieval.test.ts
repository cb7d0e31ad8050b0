import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LexicalIndex, analyze } from '../../src/ai/lexical-index';
import { calibratedConfidence, fuse, pageLogit, retrieve } from '../../src/ai/retrieval';
import { Document, type Organization } from '../../src/db/models';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { testActor, uploaded, useKnowledgeServices, waitForDocument } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

describe('lexical index (BM25)', () => {
  const passages = [
    { id: '1', title: 'Shipping', headings: 'PO boxes', text: 'We deliver to PO boxes by national post.' },
    {
      id: '2',
      title: 'Shipping',
      headings: 'Zones',
      text: 'Parcels to the United States cost €19 and take 5–9 working days.',
    },
    {
      id: '3',
      title: 'Returns',
      headings: 'Flown kites',
      text: 'A flown kite can be returned within 14 days for store credit.',
    },
    {
      id: '4',
      title: 'Returns',
      headings: 'Unused kites',
      text: 'Unused kites can be returned within 45 days for a refund.',
    },
  ];
  const index = () => {
    const created = LexicalIndex.create('r1');
    created.add(passages);
    return created;
  };

  it('ranks by rare words first, stemmed, with headings weighted', () => {
    expect(
      index()
        .search('Can I return a kite I already flew?', 4)
        .map((h) => h.id)[0],
    ).toBe('3');
    expect(
      index()
        .search('deliveries to a P.O. box', 4)
        .map((h) => h.id)[0],
    ).toBe('1');
    // "kite" is in two passages, "unused" in one: the rarer word decides.
    expect(
      index()
        .search('unused kite', 4)
        .map((h) => h.id),
    ).toEqual(['4', '3']);
    expect(analyze('Refunds were refunded')).toEqual(['refund', 'refund']);
    expect(analyze('I flew it, then bought')).toEqual(analyze('flying it, then buying'));
  });

  it('scores are BM25 sums, and normalised ones are near 1 only when every word is there', () => {
    const [full] = index().search('flown kite store credit', 1);
    const [partial] = index().search('flown kite store credit warranty insurance', 1);
    expect(full!.normalized).toBeGreaterThan(0.8);
    expect(partial!.normalized).toBeLessThan(full!.normalized);
    expect(partial!.score).toBeCloseTo(full!.score, 6);
  });

  it('forgets discarded passages, and round-trips through its file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lexical-'));
    const original = index();
    original.discard(['3']);
    original.save(dir);
    const loaded = LexicalIndex.load(dir);
    expect([...loaded.ids()].sort()).toEqual(['1', '2', '4']);
    expect(loaded.revision).toBe('r1');
    expect(loaded.search('flown', 4)).toEqual([]);
    fs.writeFileSync(path.join(dir, 'lexical.json'), '{"meta":');
    expect(() => LexicalIndex.load(dir)).toThrow('unusable');
  });
});

describe('candidates of both rankings', () => {
  it('are merged, each keeping its rank and score on the sides that found it', () => {
    const merged = fuse(
      [
        { id: 'a', score: 0.8 },
        { id: 'b', score: 0.7 },
      ],
      [
        { id: 'b', score: 9, normalized: 0.9 },
        { id: 'c', score: 4, normalized: 0.4 },
      ],
    );
    expect(merged.map((c) => c.id).sort()).toEqual(['a', 'b', 'c']);
    expect(merged.find((c) => c.id === 'b')).toMatchObject({
      dense: { rank: 2, score: 0.7 },
      lexical: { rank: 1, normalized: 0.9 },
    });
    expect(merged.find((c) => c.id === 'c')!.dense).toBeUndefined();
  });
});

describe('calibrated confidence', () => {
  const evidence = { dense: 0.5, title: 0.4, lexical: 0.5, coverage: 0.5 };
  const confidence = (change: Partial<typeof evidence>) =>
    calibratedConfidence({ logit: pageLogit({ ...evidence, ...change }) });

  it('rises with each kind of evidence, within 0–1', () => {
    for (const feature of Object.keys(evidence) as (keyof typeof evidence)[]) {
      expect(confidence({ [feature]: 0.9 })).toBeGreaterThan(confidence({ [feature]: 0.1 }));
    }
    expect(confidence({ dense: 0, title: 0, lexical: 0, coverage: 0 })).toBeGreaterThan(0);
    expect(confidence({ dense: 1, title: 1, lexical: 1, coverage: 1 })).toBeLessThan(1);
  });
});

describe('hybrid retrieval over a tenant’s knowledge', () => {
  const db = useTestDatabase();
  const worker = useTestWorker(db);
  const services = useKnowledgeServices(db, worker);
  let organization: Organization;
  let other: Organization;

  const upload = async (owner: Organization, name: string, text: string) => {
    const created = await services().documents.upload(owner.id, uploaded(name, Buffer.from(text)));
    await waitForDocument(owner.id, created.id);
    return created.id;
  };
  const search = (owner: Organization, question: string) =>
    retrieve(worker().dependencies, owner.id, question, {
      mode: 'hybrid',
      fusion: 'weighted',
      candidates: 20,
      topK: 5,
    });

  beforeAll(async () => {
    organization = await buildOrganization();
    other = await buildOrganization();
  });

  it('finds a page by its rare words, with each ranking recorded, and reads the passage within its section', async () => {
    await upload(
      organization,
      'shipping.md',
      '# Shipping\n\n## PO boxes\n\nWe deliver to a PO box (postbus) by national post; couriers cannot.\n\n## Zones\n\nParcels to the United States cost €19.',
    );
    await upload(
      organization,
      'returns.md',
      '# Returns\n\n## Flown kites\n\nA flown kite can be returned within 14 days, as store credit only.',
    );
    const result = await search(organization, 'postbus');
    const [first] = result.passages;
    expect(first).toMatchObject({ title: 'Shipping' });
    // Two sections too small to stand alone share a passage, each under its heading line.
    expect(first!.text).toContain('**PO boxes**');
    expect(first!.context).toContain('national post');
    expect(result.trace.hits[0]).toMatchObject({ lexicalRank: 1 });
    expect(typeof result.trace.hits[0]!.denseRank).toBe('number');
    expect(typeof result.trace.timings?.embed).toBe('number');
    expect(typeof result.trace.timings?.lexical).toBe('number');
    expect(result.confidence).toBeGreaterThan(0);
    // The first page's evidence, its title's own vector included.
    expect(result.pages[0]!.documentId).toBe(first!.documentId);
    expect(result.pages[0]!.lexical).toBeGreaterThan(0.5);
    const shipping = await Document.query().forOrganization(organization.id).findById(first!.documentId);
    expect(shipping!.titleEmbedding?.length).toBe(384 * 4);
    expect(result.pages[0]!.title).not.toBe(result.pages[0]!.dense);
  });

  it('follows ingestion and deletion, and never crosses tenants', async () => {
    const id = await upload(
      organization,
      'lessons.md',
      '# Lessons\n\nKitesurf lessons take place on Saturdays at the Zandvoort beach.',
    );
    expect((await search(organization, 'Zandvoort lessons')).passages[0]).toMatchObject({ documentId: id });
    expect((await search(other, 'Zandvoort lessons')).passages).toEqual([]);
    const indexes = await worker().dependencies.indexes.get(organization.id);
    const before = indexes.lexical.size;

    await services().documents.delete(testActor(organization.id), id);
    const after = await search(organization, 'Zandvoort lessons');
    expect(after.passages.every((p) => p.documentId !== id)).toBe(true);
    expect((await worker().dependencies.indexes.get(organization.id)).lexical.size).toBeLessThan(before);
  });

  it('answers a one-word question and a 2,000-character one, in any language, without failing', async () => {
    await upload(
      organization,
      'mixed.md',
      '# Versand\n\nWir versenden innerhalb von 2 Tagen. Shipping takes two days. 配送には2日かかります。',
    );
    expect((await search(organization, 'Versand')).passages[0]?.title).toBe('Versand');
    const rambling = `${'Hello, I have a long story about my order and the kite. '.repeat(35)}Versand?`.slice(
      0,
      2000,
    );
    const result = await search(organization, rambling);
    expect(result.passages.length).toBeGreaterThan(0);
    expect(result.confidence).toBeGreaterThanOrEqual(0);
    expect((await search(organization, '配送')).passages.length).toBeGreaterThan(0);
  });

  it('lists a page once among the first results however many of its passages match', async () => {
    const sections = Array.from(
      { length: 8 },
      (_, i) => `## Fee ${i}\n\nThe invoice fee number ${i} is charged monthly.`,
    );
    await upload(organization, 'fees.md', `# Fees\n\n${sections.join('\n\n')}`);
    await upload(
      organization,
      'invoices.md',
      '# Invoices\n\nEvery invoice is emailed monthly to the billing contact.',
    );
    const result = await search(organization, 'monthly invoice fee');
    const pages = result.passages.map((p) => p.documentId);
    expect(new Set(pages).size).toBeGreaterThan(1);
    expect(pages.filter((p) => p === pages[0]).length).toBeLessThanOrEqual(2);
  });
});
