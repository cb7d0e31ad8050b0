import { DocumentError, parseDocument, type DocumentErrorCode } from '../../src/ingestion';
import { documentFixture } from '../helpers/documents';

async function parseError(bytes: Uint8Array, filename?: string): Promise<DocumentError> {
  const error = await parseDocument({ bytes, filename }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof DocumentError)) throw new Error(`expected a DocumentError, got ${String(error)}`);
  return error;
}

describe('parseDocument', () => {
  it('extracts the title from the PDF metadata and the text of every page', async () => {
    const natives = [JSON.parse, JSON.stringify, Array.prototype.push];
    const parsed = await parseDocument({ bytes: documentFixture('guide.pdf') });
    // pdf.js's polyfills would slow the whole process; the loader puts Node's own back.
    expect([JSON.parse, JSON.stringify, Array.prototype.push]).toEqual(natives);
    expect(parsed).toEqual({
      title: 'Parley Returns Guide',
      mimeType: 'application/pdf',
      markdown: false,
      slugAnchors: false,
      text: [
        'Returns and refunds',
        'You can return any item within 30 days of delivery.',
        'Refunds reach your card within five business days.',
        '',
        'Shipping',
        'Orders ship from our warehouse in Lyon every weekday.',
        'Express delivery arrives the next day in mainland France.',
      ].join('\n'),
    });
  });

  it('decodes text in a CJK font that the PDF does not embed', async () => {
    const parsed = await parseDocument({ bytes: documentFixture('japanese.pdf') });
    expect(parsed).toMatchObject({ title: '返品について', text: '返品は30日以内に受け付けます。' });
  });

  it('renders a Word document as Markdown with its headings and list', async () => {
    const parsed = await parseDocument({
      bytes: documentFixture('security.docx'),
      filename: 'security.docx',
    });
    expect(parsed).toEqual({
      title: 'Account security',
      mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      markdown: true,
      slugAnchors: false,
      text: [
        '# Account security',
        '',
        'Keep your account safe with these steps.',
        '',
        '## Two-factor authentication',
        '',
        '- Open Settings',
        '- Choose Security',
        '- Scan the QR code',
        '',
        'Contact support if you lose your phone.',
      ].join('\n'),
    });
  });

  it('keeps only the main content of an HTML page, with readable headings and lists', async () => {
    const parsed = await parseDocument({ bytes: documentFixture('billing.html') });
    expect(parsed.title).toBe('Billing questions'); // the page's h1, not the <title> with the site's name
    expect(parsed.mimeType).toBe('text/html');
    expect(parsed.text).toBe(
      [
        '# Billing questions',
        '',
        'Updated in March',
        '',
        'Invoices are issued on the first day of each month and sent to the billing email.',
        '',
        '## Payment methods',
        '',
        '- Credit and debit cards',
        '- SEPA direct debit',
        '- Bank transfer for annual plans',
        '',
        '## Changing plans',
        '',
        ' 1. Open Settings → Billing.',
        ' 2. Choose the new plan.',
        '',
        'Downgrades take effect at the end of the current period.',
      ].join('\n'),
    );
    for (const noise of [
      'tracking',
      'font-family',
      'Sign in',
      'Pricing',
      'helpful',
      'Pro free',
      '2026',
      'JavaScript',
    ]) {
      expect(parsed.text).not.toContain(noise);
    }
  });

  it('decodes HTML in its declared legacy encoding and falls back to the first <h1> for the title', async () => {
    const html =
      '<html><head><meta charset="windows-1252"></head><body><h1>Caf\xe9 cr\xe8me</h1><p>Ol\xe9</p></body></html>';
    const parsed = await parseDocument({ bytes: Buffer.from(html, 'latin1') });
    expect(parsed).toMatchObject({ title: 'Café crème', text: '# Café crème\n\nOlé' });
  });

  it('keeps Markdown as written and takes the title from its first # heading', async () => {
    const bytes = documentFixture('widget-setup.md');
    const parsed = await parseDocument({ bytes, filename: 'widget-setup.md' });
    expect(parsed).toEqual({
      title: 'Installing the chat widget',
      mimeType: 'text/markdown',
      markdown: true,
      slugAnchors: true,
      text: bytes.toString('utf8').trim(),
    });
  });

  it('takes the first line of plain text as its title and normalises whitespace', async () => {
    const parsed = await parseDocument({ bytes: documentFixture('opening-hours.txt') });
    expect(parsed).toEqual({
      title: 'Opening hours',
      mimeType: 'text/plain',
      markdown: false,
      slugAnchors: false,
      text: [
        'Opening hours',
        '',
        'Our support team answers chats Monday to Friday, 9:00 to 18:00 CET.',
        '',
        'Outside these hours, leave a message and we reply the next business day.',
      ].join('\n'),
    });
  });

  it('composes Unicode to NFC and clips a long first line to about 100 characters', async () => {
    const line = `Cafe\u0301 ${'word '.repeat(40)}`;
    const parsed = await parseDocument({ bytes: Buffer.from(`${line}\nbody`) });
    expect(parsed.text.startsWith('Café word')).toBe(true);
    expect(parsed.title.length).toBeLessThanOrEqual(101);
    expect(parsed.title.endsWith('word…')).toBe(true);
  });

  it.each<[string, DocumentErrorCode, string]>([
    ['a password-protected PDF', 'encrypted_pdf', 'encrypted.pdf'],
    ['a truncated PDF', 'corrupt_file', 'truncated.pdf'],
    ['a PDF with no text layer', 'no_text', 'scanned.pdf'],
    ['a PNG renamed to .pdf', 'unsupported_type', 'image-renamed.pdf'],
  ])('rejects %s as a permanent %s error', async (_, code, name) => {
    const error = await parseError(documentFixture(name), name);
    expect(error).toMatchObject({ code, permanent: true });
    expect(error.message).toMatch(/[.!]$/);
  });

  it('tells the admin how to fix a password-protected PDF', async () => {
    expect((await parseError(documentFixture('encrypted.pdf'))).message).toBe(
      'This PDF is password-protected; remove the password and upload it again.',
    );
  });

  it('rejects empty and whitespace-only files as having no text', async () => {
    expect(await parseError(Buffer.alloc(0))).toMatchObject({ code: 'no_text', permanent: true });
    expect(await parseError(Buffer.from(' \n\t\n'))).toMatchObject({ code: 'no_text' });
    expect(await parseError(Buffer.from('<html><body><nav>Menu</nav></body></html>'))).toMatchObject({
      code: 'no_text',
    });
  });

  it('enforces the size and page limits and the accepted kinds', async () => {
    const guide = documentFixture('guide.pdf');
    await expect(parseDocument({ bytes: guide, maxBytes: 1000 })).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
    });
    await expect(parseDocument({ bytes: guide, maxPages: 1 })).rejects.toMatchObject({
      code: 'too_many_pages',
      message: 'This PDF has 2 pages; the limit is 1. Split it into smaller files.',
    });
    await expect(parseDocument({ bytes: guide, allowedKinds: ['text', 'markdown'] })).rejects.toMatchObject({
      code: 'unsupported_type',
    });
  });
});
