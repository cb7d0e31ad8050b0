import { sniffType } from '../../src/ingestion';
import { documentFixture } from '../helpers/documents';

describe('sniffType', () => {
  it.each([
    ['guide.pdf', 'pdf'],
    ['security.docx', 'docx'],
    ['billing.html', 'html'],
    ['widget-setup.md', 'markdown'],
    ['opening-hours.txt', 'text'],
  ])('recognises %s as %s by its content, whatever it is called', (name, kind) => {
    expect(sniffType(documentFixture(name), { filename: 'upload.bin', declaredType: 'image/png' })).toBe(
      kind,
    );
  });

  it('tells Markdown from plain text by structure, file extension or declared type', () => {
    const plain = Buffer.from('Hello\n\n- one\n- two\n');
    expect(sniffType(plain)).toBe('text');
    expect(sniffType(plain, { filename: 'notes.md' })).toBe('markdown');
    expect(sniffType(plain, { declaredType: 'text/markdown; charset=utf-8' })).toBe('markdown');
    expect(sniffType(Buffer.from('Intro\n\n## Setup\n'))).toBe('markdown');
    expect(sniffType(Buffer.from('Read [the docs](https://example.com).'))).toBe('markdown');
  });

  it('recognises HTML after a BOM and comments, and fragments only when declared as HTML', () => {
    expect(sniffType(Buffer.from('\ufeff  <!-- saved -->\n<HTML><body>Hi</body></HTML>'))).toBe('html');
    expect(sniffType(Buffer.from('<body><p>Hi</p></body>'))).toBe('html');
    expect(sniffType(Buffer.from('<div>Hi</div>'))).toBe('text');
    expect(sniffType(Buffer.from('<div>Hi</div>'), { declaredType: 'text/html; charset=utf-8' })).toBe(
      'html',
    );
  });

  it.each([
    ['a PNG renamed to .pdf', documentFixture('image-renamed.pdf'), 'unsupported_type'],
    ['text that is not UTF-8', Buffer.from('caf\xe9 cr\xe8me', 'latin1'), 'unsupported_type'],
    ['bytes with NUL', Buffer.from([0x68, 0x69, 0x00, 0x21]), 'unsupported_type'],
    ['a ZIP that is not a Word document', zipWith('xl/workbook.xml'), 'unsupported_type'],
    ['a truncated ZIP', documentFixture('security.docx').subarray(0, 2000), 'corrupt_file'],
  ])('rejects %s', (_, bytes, code) => {
    expect(() => sniffType(bytes)).toThrow(expect.objectContaining({ code, permanent: true }) as Error);
  });
});

/** A minimal stored (uncompressed) ZIP with one empty entry. */
function zipWith(name: string): Buffer {
  const nameBytes = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(nameBytes.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(nameBytes.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + nameBytes.length, 12);
  end.writeUInt32LE(30 + nameBytes.length, 16);
  return Buffer.concat([local, nameBytes, central, nameBytes, end]);
}
