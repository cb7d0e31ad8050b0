import fs from 'node:fs';
import path from 'node:path';
import { chunkText, headingPath, parseDocument, passageBlocks } from '../../src/ingestion';

const GENERATORS = path.join(__dirname, '..', 'fixtures', 'documents', 'generators');

/** A page from the fixtures, parsed and cut as ingestion does. */
async function cut(name: string, chunkSize = 500) {
  const parsed = await parseDocument({ bytes: fs.readFileSync(path.join(GENERATORS, name)), filename: name });
  const chunks = chunkText(parsed.text, {
    chunkSize,
    markdown: parsed.markdown,
    slugAnchors: parsed.slugAnchors,
    title: parsed.title,
  });
  return { parsed, chunks };
}

describe('chunkText', () => {
  it('cuts at headings first and gives each passage its heading path and anchor', () => {
    const text = [
      '# Returns',
      'We want you to love your kite.',
      '## Unused kites',
      'Return an unused kite within 45 days.',
      '## Flown kites {#flown}',
      'A flown kite can be returned within 14 days.',
      '### Store credit',
      'Credit is valid for 24 months.',
    ].join('\n\n');
    // Sections of more than half a passage each stand alone.
    const chunks = chunkText(text, { chunkSize: 50, markdown: true, title: 'Returns', slugAnchors: true });
    expect(chunks.map((c) => [c.text, headingPath(c.headings), c.anchor, c.section])).toEqual([
      ['We want you to love your kite.', '', 'returns', 0],
      ['Return an unused kite within 45 days.', 'Unused kites', 'unused-kites', 1],
      ['A flown kite can be returned within 14 days.', 'Flown kites', 'flown', 2],
      ['Credit is valid for 24 months.', 'Flown kites › Store credit', 'store-credit', 3],
    ]);
    expect(chunks.map((c) => c.position)).toEqual([0, 1, 2, 3]);
  });

  it('joins sections too small to stand alone to their siblings, each under its own heading line', () => {
    const options = ['Name', 'Category', 'Hidden'].map(
      (o) => `### ${o}\n\nSets the style's ${o.toLowerCase()}.`,
    );
    const text = [
      '# Organizer',
      '## Options',
      'The options of the style.',
      ...options,
      '## Contents',
      'Long. '.repeat(60),
    ].join('\n\n');
    const chunks = chunkText(text, { chunkSize: 300, markdown: true, title: 'Organizer' });
    expect(chunks[0]).toMatchObject({
      headings: ['Options'],
      text: "The options of the style.\n\n**Name**\n\nSets the style's name.\n\n**Category**\n\nSets the style's category.\n\n**Hidden**\n\nSets the style's hidden.",
    });
    // A section of more than half a passage is not joined to what comes before it.
    expect(chunks[1]!.headings).toEqual(['Contents']);
    expect(passageBlocks(chunks[0]!.text).map((b) => b.kind)).toEqual([
      'paragraph',
      'heading',
      'paragraph',
      'heading',
      'paragraph',
      'heading',
      'paragraph',
    ]);
  });

  it('packs whole blocks up to the size and never cuts a list item, a table row or a code block', () => {
    const steps = Array.from(
      { length: 12 },
      (_, i) => `${i + 1}. Step ${i + 1} of the procedure, in a line of its own words.`,
    );
    const rows = Array.from({ length: 12 }, (_, i) => `| Zone ${i} | €${i + 4} | ${i + 1}–${i + 5} days |`);
    const code = [
      '```sh',
      ...Array.from({ length: 6 }, (_, i) => `parley --step ${i} --verbose`),
      '```',
    ].join('\n');
    const text = [
      '## Procedure',
      'Do this:',
      steps.join('\n'),
      '## Prices',
      '| Zone | Price | Time |\n| --- | --- | --- |\n' + rows.join('\n'),
      '## Command',
      code,
    ].join('\n\n');
    const chunks = chunkText(text, { chunkSize: 200, markdown: true });
    for (const chunk of chunks) expect(chunk.text.length).toBeLessThanOrEqual(300);
    const lines = chunks.flatMap((c) => c.text.split('\n'));
    for (const step of steps) expect(lines).toContain(step);
    for (const row of rows) expect(lines).toContain(row);
    // The lead-in stays with the first steps, and each continued table repeats its header.
    expect(chunks[0]!.text.startsWith('Do this:\n\n1. Step 1')).toBe(true);
    const tables = chunks.filter((c) => c.headings[0] === 'Prices');
    expect(tables.length).toBeGreaterThan(1);
    for (const table of tables)
      expect(table.text.startsWith('| Zone | Price | Time |\n| --- | --- | --- |')).toBe(true);
    expect(chunks.find((c) => c.headings[0] === 'Command')!.text).toBe(code);
  });

  it('cuts a block longer than the size only where it must: sentences, then words', () => {
    const paragraph = Array.from({ length: 40 }, (_, i) => `Sentence number ${i} is here.`).join(' ');
    const chunks = chunkText(paragraph, { chunkSize: 120, markdown: false });
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.text.length).toBeLessThanOrEqual(120);
      expect(chunk.text).toMatch(/^Sentence number \d+ is here\.( Sentence number \d+ is here\.)*$/);
    }
    expect(chunks.map((c) => c.text).join(' ')).toBe(paragraph);
    // One 5 MB paragraph with no sentence end is cut by size, quickly.
    const blob = 'word '.repeat(1_000_000);
    const started = Date.now();
    const blobChunks = chunkText(blob, { chunkSize: 500, markdown: false });
    expect(blobChunks.every((c) => c.text.length <= 500)).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('is deterministic and gives nothing for empty text or headings without content', () => {
    const text = '# Title\n\nIntro.\n\n## Empty\n\n## Full\n\nBody.';
    const options = { chunkSize: 100, markdown: true, title: 'Title' };
    expect(chunkText(text, options)).toEqual(chunkText(text, options));
    expect(chunkText(text, options).map((c) => c.text)).toEqual(['Intro.\n\n**Full**\n\nBody.']);
    expect(chunkText('', options)).toEqual([]);
    expect(chunkText('# Only a heading', options)).toEqual([]);
  });

  it('reads a passage back as its blocks', () => {
    expect(passageBlocks('Do this:\n\n1. One\n2. Two\n\n```\nls\n```')).toEqual([
      { kind: 'paragraph', text: 'Do this:' },
      { kind: 'item', text: '1. One' },
      { kind: 'item', text: '2. Two' },
      { kind: 'code', text: '```\nls\n```' },
    ]);
  });
});

describe('documentation generators, parsed and cut', () => {
  it('DocBook (GIMP manual): no navigation, sections with their anchors', async () => {
    const { parsed, chunks } = await cut('docbook-gimp-crop-image.html');
    expect(parsed.title).toBe('6.22. Crop Image');
    expect(parsed.text).not.toMatch(/\bPrev\b|\bNext\b|Up\b.*Home/);
    const toSelection = chunks.find((c) => c.headings.at(-1) === '6.22.1. Crop to selection')!;
    expect(toSelection.anchor).toBe('crop-image-to-selection');
    expect(chunks.map((c) => c.text).join('\n')).toContain('Image → Crop to Selection');
  });

  it('Sphinx (Python tutorial): no relation bars or ¶ links, code blocks whole', async () => {
    const { parsed, chunks } = await cut('sphinx-python-venv.html');
    expect(parsed.title).toBe('12. Virtual Environments and Packages');
    expect(parsed.text).not.toMatch(/¶|previous \||modules \||Python » /);
    const creating = chunks.filter((c) => c.headings.includes('12.2. Creating Virtual Environments'));
    expect(creating[0]!.anchor).toBe('creating-virtual-environments');
    const code = creating.find((c) => c.text.includes('python3 -m venv tutorial-env'))!;
    expect(code.text).toContain('```\npython3 -m venv tutorial-env\n```');
    for (const chunk of chunks) {
      expect(chunk.text.split('```').length % 2).toBe(1); // fences come in pairs: no block was cut open
    }
  });

  it('Sphinx API reference: each function is a section of its own, anchored by its id', async () => {
    const { chunks } = await cut('sphinx-python-os-path.html');
    const splitext = chunks.filter((c) => c.anchor === 'os.path.splitext');
    expect(splitext.length).toBeGreaterThan(0);
    expect(splitext[0]!.headings.at(-1)).toBe('os.path.splitext(path)');
    expect(splitext.map((c) => c.text).join('\n')).toContain("splitext('foo.bar.exe')");
  });

  it('LibreOffice Help: no header, index, debug box or related links; shortcuts kept', async () => {
    const { parsed, chunks } = await cut('libreoffice-help-page-numbers.html');
    expect(parsed.title).toBe('Page Numbers');
    expect(parsed.text).not.toMatch(
      /Related Topics|Help content debug info|Search in chosen module|LibreOffice 7\.4 Help/,
    );
    expect(parsed.text).toContain('View - Field Names (Ctrl+F9)');
    expect(parsed.text).not.toContain('Command+F9');
    const start = chunks.find((c) => c.headings[0] === 'To Start With a Defined Page Number')!;
    expect(start.anchor).toBe('hd_id2551652');
    expect(start.text).toContain('2. Choose Format - Paragraph - Text flow tab.');
  });

  it('help-centre and static-site themes: only the article is left', async () => {
    const { parsed, chunks } = await cut('theme-chrome.html');
    expect(parsed.title).toBe('Returns');
    expect(parsed.text).not.toMatch(
      /Skip to content|Search|Breadcrumbs|On this page|helpful|Related articles|Edit this page|Shipping|Warranty|MkDocs/,
    );
    // A short article is one passage; its sections keep their headings as lines.
    expect(chunks.map((c) => [headingPath(c.headings), c.anchor, c.text])).toEqual([
      [
        '',
        'returns',
        'We want you to love your kite.\n\n**Unused kites**\n\nReturn an unused kite within 45 days for a full refund.\n\n**Flown kites**\n\nA flown kite can be returned within 14 days, as store credit only.\n\nTo return it:\n\n 1. Email returns@kites.example with your order number.\n 2. Pack the kite in its tube.',
      ],
    ]);
  });
});
