import { crc32, deflateRawSync } from 'node:zlib';
import { parseDocument } from '../../src/ingestion';
import { documentFixture } from '../helpers/documents';

/**
 * Archive and text bombs (issue #17, finding 5): a 52 KB .docx that expanded to 50 MB was ingested.
 * DOCX parts are inflated against a budget before the parser opens them, PDFs stop at their page
 * limit, and every kind stops at the text limit; over a cap the document fails with a clear reason.
 */

/** A minimal ZIP (deflated entries) holding these files. */
function zip(files: [string, Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const nameBytes = Buffer.from(name);
    const data = deflateRawSync(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(content), 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(content), 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

const CONTENT_TYPES = Buffer.from(
  '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
);
const RELS = Buffer.from(
  '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
);
const documentXml = (body: string) =>
  Buffer.from(
    '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' +
      `<w:body>${body}</w:body></w:document>`,
  );
const paragraph = (text: string) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`;
const docx = (body: string, extra: [string, Buffer][] = []) =>
  zip([
    ['[Content_Types].xml', CONTENT_TYPES],
    ['_rels/.rels', RELS],
    ['word/document.xml', documentXml(body)],
    ...extra,
  ]);

describe('archive and text bombs', () => {
  it('a small DOCX within the limits is read as before', async () => {
    const parsed = await parseDocument({ bytes: docx(paragraph('Returns take 30 days.')) });
    expect(parsed.text).toBe('Returns take 30 days.');
  });

  it('a DOCX that unpacks past the limit fails before the parser sees it', async () => {
    // About 60 KB on disk, 60 MB unpacked (the probe's bomb was 52 KB → 50 MB).
    const bomb = docx(paragraph('a'.repeat(60 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const started = Date.now();
    await expect(parseDocument({ bytes: bomb })).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
      message: expect.stringMatching(/unpacks to more than 40 MB/) as string,
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    // The budget is shared by the parts: several smaller ones add up.
    const parts = docx(paragraph('ok'), [
      ['word/media/a.bin', Buffer.alloc(600)],
      ['word/media/b.bin', Buffer.alloc(600)],
    ]);
    await expect(parseDocument({ bytes: parts, maxUnpackedBytes: 1000 })).rejects.toMatchObject({
      code: 'too_large',
    });
  });

  it('a DOCX of too many parts fails', async () => {
    const many = docx(
      paragraph('ok'),
      Array.from({ length: 1001 }, (_, i): [string, Buffer] => [`word/media/${i}.bin`, Buffer.from('x')]),
    );
    await expect(parseDocument({ bytes: many })).rejects.toMatchObject({
      code: 'too_large',
      message: 'This document is an archive of 1004 files; the limit is 1000.',
    });
  });

  it('text past the limit fails, in every kind', async () => {
    const tooMuch = {
      code: 'too_large',
      message: expect.stringMatching(/more than 50 characters of text/) as string,
    };
    await expect(
      parseDocument({ bytes: Buffer.from('# Notes\n\n' + 'word '.repeat(20)), maxTextChars: 50 }),
    ).rejects.toMatchObject(tooMuch);
    await expect(
      parseDocument({ bytes: docx(paragraph('word '.repeat(20))), maxTextChars: 50 }),
    ).rejects.toMatchObject(tooMuch);
    await expect(
      parseDocument({ bytes: documentFixture('guide.pdf'), maxTextChars: 50 }),
    ).rejects.toMatchObject(tooMuch);
  });
});
