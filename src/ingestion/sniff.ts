import { DocumentError } from './errors';

/**
 * Detects what uploaded or fetched bytes really are, from their content: a filename or declared MIME
 * type is only a hint between the text formats, never a reason to parse bytes as something they are
 * not. (`file-type` does magic-byte sniffing but is ESM-only and does not tell DOCX, HTML or Markdown
 * apart, so this small function does.)
 *
 * Rules, in order:
 * - PDF: `%PDF-` within the first 1024 bytes (where Acrobat also looks for it).
 * - DOCX: a ZIP whose central directory lists `word/document.xml`; any other ZIP is unsupported and an
 *   unreadable one is corrupt.
 * - HTML: after a BOM, whitespace, comments and an XML declaration, the text starts with
 *   `<!doctype html`, `<html`, `<head` or `<body`; or the declared type is text/html and it starts with `<`.
 *   Checked before decoding, so pages in legacy encodings (windows-1252…) are recognised too.
 * - Otherwise valid UTF-8 without NUL bytes is text: Markdown when the filename ends in .md/.markdown,
 *   the declared type is text/markdown, or a line is an ATX heading (`# Title`), a code fence (```)
 *   or holds a `[link](target)`; lists alone do not count, plain text uses them too. Plain text otherwise.
 * - Anything else is unsupported.
 */
export type DocumentKind = 'pdf' | 'docx' | 'html' | 'markdown' | 'text';

export const MIME_TYPES: Record<DocumentKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  html: 'text/html',
  markdown: 'text/markdown',
  text: 'text/plain',
};

export interface TypeHints {
  filename?: string;
  declaredType?: string;
}

export function unsupportedType(): DocumentError {
  return new DocumentError(
    'unsupported_type',
    'This file type is not supported; upload a PDF, Word (.docx), HTML, Markdown or plain-text (UTF-8) file.',
  );
}

export function sniffType(bytes: Uint8Array, hints: TypeHints = {}): DocumentKind {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.subarray(0, 1024).includes('%PDF-')) return 'pdf';
  if (buffer.subarray(0, 4).equals(ZIP_LOCAL_HEADER)) return sniffZip(buffer);

  const declared = hints.declaredType?.split(';')[0]?.trim().toLowerCase();
  if (looksLikeHtml(buffer, declared === 'text/html')) return 'html';

  if (buffer.includes(0)) throw unsupportedType();
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw unsupportedType();
  }
  const markdown =
    /\.(md|markdown)$/i.test(hints.filename ?? '') ||
    declared === 'text/markdown' ||
    /^(#{1,6}[ \t]+\S|```)|\[[^\]\n]+\]\([^)\s]+\)/m.test(text);
  return markdown ? 'markdown' : 'text';
}

const ZIP_LOCAL_HEADER = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_END_OF_CENTRAL_DIRECTORY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const ZIP_CENTRAL_FILE_HEADER = 0x02014b50;

function sniffZip(buffer: Buffer): DocumentKind {
  const names = zipEntryNames(buffer);
  if (!names) {
    throw new DocumentError(
      'corrupt_file',
      'This file is damaged or incomplete; export it again and re-upload.',
    );
  }
  if (!names.includes('word/document.xml')) throw unsupportedType();
  return 'docx';
}

function zipEntryNames(buffer: Buffer): string[] | undefined {
  return zipEntries(buffer)?.map((entry) => entry.name);
}

export interface ZipEntry {
  name: string;
  /** 0: stored, 8: deflated (the only methods DOCX writers use). */
  method: number;
  compressedSize: number;
  /** Where the entry's local header starts. */
  localOffset: number;
}

/** The ZIP central directory's entries (read without inflating anything); undefined if unreadable. */
export function zipEntries(buffer: Buffer): ZipEntry[] | undefined {
  // The end-of-central-directory record is the last 22 bytes plus an optional comment of up to 64 KiB.
  const end = buffer.lastIndexOf(ZIP_END_OF_CENTRAL_DIRECTORY);
  if (end < 0 || end < buffer.length - 22 - 0xffff || end + 22 > buffer.length) return undefined;
  const count = buffer.readUInt16LE(end + 10);
  let offset = buffer.readUInt32LE(end + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 46 > buffer.length || buffer.readUInt32LE(offset) !== ZIP_CENTRAL_FILE_HEADER)
      return undefined;
    const nameLength = buffer.readUInt16LE(offset + 28);
    const extraLength = buffer.readUInt16LE(offset + 30);
    const commentLength = buffer.readUInt16LE(offset + 32);
    entries.push({
      name: buffer.toString('utf8', offset + 46, offset + 46 + nameLength),
      method: buffer.readUInt16LE(offset + 10),
      compressedSize: buffer.readUInt32LE(offset + 20),
      localOffset: buffer.readUInt32LE(offset + 42),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function looksLikeHtml(buffer: Buffer, declaredHtml: boolean): boolean {
  // latin1 maps bytes 1:1, so the ASCII markup reads the same whatever the page's real encoding.
  const start = buffer
    .subarray(0, 4096)
    .toString('latin1')
    .replace(/^\u00ef\u00bb\u00bf/, '')
    .replace(/^(\s|<!--[\s\S]*?-->|<\?xml[^>]*>)*/, '')
    .toLowerCase();
  return /^<(!doctype html|html|head|body)[\s>]/.test(start) || (declaredHtml && start.startsWith('<'));
}
