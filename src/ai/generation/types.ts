import type { Citation } from '../../db/models';

/** A retrieved passage, as the generators and the turn record see it. */
export interface Passage {
  chunkId: string;
  documentId: string;
  documentVersion: number;
  title: string;
  url: string | null;
  text: string;
  score: number;
}

export interface HistoryTurn {
  role: 'visitor' | 'assistant' | 'agent';
  content: string;
}

export interface GenerationRequest {
  question: string;
  passages: Passage[];
  persona: string;
  instructions: string;
  history: HistoryTurn[];
  summary: string;
}

export interface GenerationResult {
  text: string;
  citations: Citation[];
  model: string;
  promptTokens: number;
  completionTokens: number;
}

/** Receives generated text as it is produced (for streaming to the visitor). */
export type TokenSink = (delta: string) => void | Promise<void>;

export interface AnswerGenerator {
  readonly model: string;
  generate(request: GenerationRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerationResult>;
}

/** Recorded on every assistant message, so answers can be traced to the prompt that produced them. */
export const PROMPT_VERSION = 'grounded-answer-v1';

/** One citation per document used, in the order of first use. */
export function citationsFor(passages: Passage[]): Citation[] {
  const seen = new Set<string>();
  const citations: Citation[] = [];
  for (const passage of passages) {
    if (seen.has(passage.documentId)) continue;
    seen.add(passage.documentId);
    citations.push({
      documentId: passage.documentId,
      title: passage.title,
      url: passage.url,
      chunkId: passage.chunkId,
    });
  }
  return citations;
}
