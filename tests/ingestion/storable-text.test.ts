import { chunkText, normalizeText, parseDocument } from '../../src/ingestion';
import { clipTitle } from '../../src/ingestion/normalize';
import { clip, findUnstorable, storableText, textProblem } from '../../src/lib/storable';

/** Text Parley extracts or cuts itself is made storable, never refused: a PDF's text layer can hold anything. */
describe('extracted document text', () => {
  it('loses NUL characters and keeps lone surrogates only as U+FFFD', () => {
    expect(normalizeText('Refunds\u0000 within 30 days \uD800.')).toBe('Refunds within 30 days \uFFFD.');
    expect(storableText('a\u0000b\uDC00c\uD83D\uDE00')).toBe('ab\uFFFDc\uD83D\uDE00');
    expect(clipTitle('Guide\u0000 \uDBFF')).toBe('Guide \uFFFD');
  });

  it('is never cut between the halves of a surrogate pair', () => {
    const title = clipTitle(`${'x'.repeat(99)}😀 and more words after the emoji`);
    expect(textProblem(title)).toBeUndefined();
    expect(clip('ab😀', 3)).toBe('ab');
    // The chunker's last resort cuts a run without separators by size, never inside a pair.
    const chunks = chunkText('😀'.repeat(400), { chunkSize: 101, markdown: false });
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) expect(textProblem(chunk.text)).toBeUndefined();
  });

  it('parses an HTML page whose character references name NUL and surrogates into storable text', async () => {
    const parsed = await parseDocument({
      bytes: Buffer.from(
        '<!doctype html><title>Opening&#0; hours&#xD800;</title><main><p>Open&#0; from 9&#xDC00; to 5.</p></main>',
      ),
      filename: 'hours.html',
    });
    expect(findUnstorable(parsed, '')).toBeUndefined();
    expect(parsed.text).toContain('from 9');
  });
});
