import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import { storableText } from '../lib/storable';

export interface ChunkOptions {
  /** Maximum characters per chunk. */
  chunkSize: number;
  /** Characters shared by consecutive chunks; less than chunkSize. */
  chunkOverlap: number;
  /** Split at Markdown headings, fences and rules first (Markdown, and HTML or DOCX rendered as Markdown). */
  markdown: boolean;
}

export interface Chunk {
  text: string;
  /** 0..n-1 in document order. */
  position: number;
  /** Estimated as ceil(characters / 4), the usual ratio for English with BPE and WordPiece tokenizers. */
  tokenCount: number;
}

/** Splits normalised text into overlapping chunks; the same input always gives the same chunks. */
export async function chunkText(text: string, options: ChunkOptions): Promise<Chunk[]> {
  const settings = { chunkSize: options.chunkSize, chunkOverlap: options.chunkOverlap };
  const splitter = options.markdown
    ? RecursiveCharacterTextSplitter.fromLanguage('markdown', settings)
    : new RecursiveCharacterTextSplitter(settings);
  // The splitter's last resort cuts between UTF-16 units, so a run of emoji can lose half a pair.
  const pieces = (await splitter.splitText(text))
    .map((piece) => storableText(piece).trim())
    .filter((piece) => piece !== '');
  return pieces.map((piece, position) => ({
    text: piece,
    position,
    tokenCount: Math.ceil(piece.length / 4),
  }));
}
