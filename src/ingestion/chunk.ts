import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

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
  const pieces = (await splitter.splitText(text))
    .map((piece) => piece.trim())
    .filter((piece) => piece !== '');
  return pieces.map((piece, position) => ({
    text: piece,
    position,
    tokenCount: Math.ceil(piece.length / 4),
  }));
}
