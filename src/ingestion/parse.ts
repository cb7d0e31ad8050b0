import mammoth from 'mammoth';
import { checkZipLimits } from './archive';
import { DocumentError } from './errors';
import { htmlToText } from './html';
import { clipTitle, normalizeText } from './normalize';
import { pdfToText } from './pdf';
import { MIME_TYPES, sniffType, unsupportedType, type DocumentKind } from './sniff';

export const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const DEFAULT_MAX_PAGES = 500;
/** What a DOCX may unpack to (its XML, images and parts), and how many parts it may have. */
export const DEFAULT_MAX_UNPACKED_BYTES = 40 * 1024 * 1024;
export const DEFAULT_MAX_ENTRIES = 1000;
/** Text extracted from one document (about 2,000 pages); more is a bomb or belongs in several files. */
export const DEFAULT_MAX_TEXT_CHARS = 5_000_000;

export interface ParseInput {
  bytes: Uint8Array;
  /** A hint between Markdown and plain text only (`.md`, `.markdown`); never chooses a binary parser. */
  filename?: string;
  /** The uploader's or server's Content-Type: a hint between HTML, Markdown and plain text only. */
  declaredType?: string;
  maxBytes?: number;
  maxPages?: number;
  maxUnpackedBytes?: number;
  maxEntries?: number;
  maxTextChars?: number;
  /** The kinds this deployment accepts; all by default. */
  allowedKinds?: readonly DocumentKind[];
}

export interface ParsedDocument {
  title: string;
  /** Normalised text (see normalizeText); never empty. */
  text: string;
  mimeType: string;
  /** Whether the text is Markdown (Markdown files, and HTML and DOCX rendered with `#` headings). */
  markdown: boolean;
  /**
   * Whether headings without an explicit `{#id}` get GitHub-style anchors: in a Markdown file they are
   * what a renderer links to; an HTML page has only the ids it carries.
   */
  slugAnchors: boolean;
}

/** Detects the type of a document by its content and extracts its title and clean text. */
export async function parseDocument(input: ParseInput): Promise<ParsedDocument> {
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_BYTES;
  if (input.bytes.byteLength > maxBytes) {
    throw new DocumentError(
      'too_large',
      `This file is ${megabytes(input.bytes.byteLength)} MB; the limit is ${megabytes(maxBytes)} MB.`,
    );
  }
  const kind = sniffType(input.bytes, input);
  if (input.allowedKinds && !input.allowedKinds.includes(kind)) throw unsupportedType();

  const extracted = await extract(kind, input);
  if (extracted.text.length > maxTextChars(input)) throw tooMuchText(input);
  const text = normalizeText(extracted.text);
  if (!text) {
    throw new DocumentError(
      'no_text',
      kind === 'pdf'
        ? 'This PDF has no selectable text (it may be a scan); run it through OCR or upload a text version.'
        : 'This document contains no text.',
    );
  }
  const title = clipTitle(extracted.title ?? '') || clipTitle(firstLine(text)) || 'Untitled document';
  return {
    title,
    text,
    mimeType: MIME_TYPES[kind],
    markdown: kind !== 'pdf' && kind !== 'text',
    slugAnchors: kind === 'markdown',
  };
}

async function extract(kind: DocumentKind, input: ParseInput): Promise<{ title?: string; text: string }> {
  const bytes = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  switch (kind) {
    case 'pdf':
      return pdfToText(bytes, input.maxPages ?? DEFAULT_MAX_PAGES, maxTextChars(input), tooMuchText(input));
    case 'docx':
      checkZipLimits(bytes, {
        maxUnpackedBytes: input.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
        maxEntries: input.maxEntries ?? DEFAULT_MAX_ENTRIES,
      });
      return htmlToText(await docxToHtml(bytes));
    case 'html':
      return htmlToText(bytes);
    case 'markdown': {
      const text = bytes.toString('utf8');
      const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text) ?? /^#{2,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
      return { title: heading?.[1], text };
    }
    case 'text':
      return { text: bytes.toString('utf8') };
  }
}

/** DOCX through mammoth's semantic HTML (Heading n → hn, lists → ul/ol), then the HTML path. */
async function docxToHtml(buffer: Buffer): Promise<string> {
  try {
    return (await mammoth.convertToHtml({ buffer })).value;
  } catch (error) {
    throw new DocumentError(
      'corrupt_file',
      'This Word document is damaged or incomplete; save it again and re-upload.',
      { cause: error },
    );
  }
}

const maxTextChars = (input: ParseInput): number => input.maxTextChars ?? DEFAULT_MAX_TEXT_CHARS;

const tooMuchText = (input: ParseInput): DocumentError =>
  new DocumentError(
    'too_large',
    `This document holds more than ${maxTextChars(input).toLocaleString('en')} characters of text, ` +
      'the limit for one document; split it into smaller files.',
  );

const firstLine = (text: string): string => text.split('\n', 1)[0]!.replace(/^#+\s*/, '');

const megabytes = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);
