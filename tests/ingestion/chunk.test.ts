import { chunkText } from '../../src/ingestion';

/** Deterministic prose: 60 sentences in paragraphs of five, with a heading every 20 sentences. */
function article(): string {
  const sentences = Array.from(
    { length: 60 },
    (_, i) => `Sentence ${i} explains how refunds, exchanges and store credit work for order ${i * 7}.`,
  );
  const blocks: string[] = [];
  for (let i = 0; i < sentences.length; i += 5) {
    if (i % 20 === 0) blocks.push(`## Section ${i / 20 + 1}`);
    blocks.push(sentences.slice(i, i + 5).join(' '));
  }
  return `# Refund policy\n\n${blocks.join('\n\n')}`;
}

describe('chunkText', () => {
  it.each([true, false])(
    'respects the chunk size and numbers chunks 0..n-1 (markdown: %s)',
    async (markdown) => {
      const chunks = await chunkText(article(), { chunkSize: 300, chunkOverlap: 60, markdown });
      expect(chunks.length).toBeGreaterThan(10);
      expect(chunks.map((c) => c.position)).toEqual(chunks.map((_, i) => i));
      for (const chunk of chunks) {
        expect(chunk.text.trim()).toBe(chunk.text);
        expect(chunk.text.length).toBeGreaterThan(0);
        expect(chunk.text.length).toBeLessThanOrEqual(300);
        expect(chunk.tokenCount).toBe(Math.ceil(chunk.text.length / 4));
      }
    },
  );

  it('is deterministic for the same input', async () => {
    const options = { chunkSize: 250, chunkOverlap: 50, markdown: true };
    expect(await chunkText(article(), options)).toEqual(await chunkText(article(), options));
  });

  it('covers the text with no gaps, each chunk repeating at most chunkOverlap characters of the last', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`);
    const chunks = await chunkText(words.join(' '), { chunkSize: 120, chunkOverlap: 30, markdown: false });
    // Every word is unique, so each chunk is a run of word indexes [first, last].
    const runs = chunks.map((chunk) => chunk.text.split(' ').map((word) => Number(word.slice(1))));
    expect(runs[0]![0]).toBe(0);
    expect(runs.at(-1)!.at(-1)).toBe(199);
    for (let i = 1; i < runs.length; i++) {
      const previous = runs[i - 1]!;
      const run = runs[i]!;
      expect(run).toEqual(Array.from({ length: run.length }, (_, k) => run[0]! + k));
      const repeated = words.slice(run[0], previous.at(-1)! + 1).join(' ');
      expect(repeated.length).toBeGreaterThan(0);
      expect(repeated.length).toBeLessThanOrEqual(30);
    }
  });

  it('cuts Markdown at section headings first, where plain splitting would strand a heading', async () => {
    const text = '## Returns\n\nSend items back within 30 days.\n\n## Shipping\n\nWe ship every weekday.';
    const split = async (markdown: boolean) =>
      (await chunkText(text, { chunkSize: 60, chunkOverlap: 0, markdown })).map((c) => c.text);
    expect(await split(true)).toEqual([
      '## Returns\n\nSend items back within 30 days.',
      '## Shipping\n\nWe ship every weekday.',
    ]);
    expect(await split(false)).toEqual([
      '## Returns\n\nSend items back within 30 days.\n\n## Shipping',
      'We ship every weekday.',
    ]);
  });

  it('returns no chunks for empty text', async () => {
    expect(await chunkText('', { chunkSize: 100, chunkOverlap: 10, markdown: false })).toEqual([]);
  });
});
