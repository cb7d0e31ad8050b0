import { contentHash as hashWith, normalizeText, parseDocument } from '../../src/ingestion';
import { documentFixture } from '../helpers/documents';

describe('contentHash', () => {
  const text = 'Opening hours\n\nWe answer chats from 9:00 to 18:00.\n- Monday to Friday';
  const chunking = { chunkSize: 500 };
  const model = 'local/all-MiniLM-L6-v2';
  const contentHash = (content: string) => hashWith(content, chunking, model);

  it('is stable across line endings, trailing spaces, blank-line runs and Unicode composition', () => {
    const reformatted =
      '\n  \nOpening hours   \r\n\r\n\r\n\r\nWe answer chats from 9:00 to 18:00.\t\r\n- Monday to Friday\n\n';
    expect(contentHash(reformatted)).toBe(contentHash(text));
    expect(contentHash('Cafe\u0301')).toBe(contentHash('Café'));
    expect(contentHash(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('changes when the words change', () => {
    expect(contentHash(text.replace('18:00', '19:00'))).not.toBe(contentHash(text));
  });

  it('changes when the chunking changes, so the content is cut again', () => {
    expect(hashWith(text, { chunkSize: 1000 }, model)).not.toBe(contentHash(text));
    expect(hashWith(text, { chunkSize: 400 }, model)).not.toBe(contentHash(text));
  });

  it('changes when the embedding model changes, so the content is embedded again', () => {
    expect(hashWith(text, chunking, 'openai/text-embedding-3-small')).not.toBe(contentHash(text));
  });

  it('recognises a re-upload with other bytes but the same content as unchanged', async () => {
    const original = await parseDocument({ bytes: documentFixture('opening-hours.txt') });
    const resaved = Buffer.from(
      `\ufeff${documentFixture('opening-hours.txt').toString().replace(/\r\n/g, '\n')}`,
    );
    const reupload = await parseDocument({ bytes: resaved, filename: 'hours.txt' });
    expect(contentHash(reupload.text)).toBe(contentHash(original.text));
    expect(normalizeText(original.text)).toBe(original.text);
  });
});
