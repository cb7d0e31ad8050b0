import { clip, storableText } from '../lib/storable';

/**
 * The one text normalisation every parser applies and the content hash relies on: Unicode NFC, LF line
 * ends, no control characters (NUL included), no lone surrogates (U+FFFD instead: a PDF's text layer
 * can hold them, and PostgreSQL cannot), no trailing spaces, at most one blank line between paragraphs.
 * Indentation inside lines is kept (it carries meaning in Markdown lists and code).
 */
export function normalizeText(text: string): string {
  return (
    storableText(text)
      .normalize('NFC')
      .replace(/\r\n?|[\u2028\u2029\f\v]/g, '\n')
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\u0000-\u0008\u000e-\u001f\u007f]/g, '')
      .replace(/[^\S\n]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

const TITLE_MAX_CHARS = 100;

/** A one-line title of at most ~100 characters, cut at a word boundary when possible. */
export function clipTitle(text: string): string {
  const line = storableText(text).replace(/\s+/g, ' ').trim();
  if (line.length <= TITLE_MAX_CHARS) return line;
  const cut = clip(line, TITLE_MAX_CHARS);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > TITLE_MAX_CHARS / 2 ? cut.slice(0, lastSpace) : cut).trimEnd()}…`;
}
