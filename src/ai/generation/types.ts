import type { Citation } from '../../db/models';

/** A retrieved passage, as the generators and the turn record see it. */
export interface Passage {
  chunkId: string;
  documentId: string;
  documentVersion: number;
  title: string;
  /** Titles of the sections the passage is in, outermost first. */
  headings: string[];
  /** Where a visitor can read it: the source's URL, with the section's anchor where it has one. */
  url: string | null;
  /** The passage that matched the question. */
  text: string;
  /** Its section, as far as it fits: the passage with the text around it (it reads the passage whole). */
  context: string;
  /** Cosine similarity to the question. */
  score: number;
  /** Share of the question's words (weighted by IDF) its title, headings and section contain. */
  coverage: number;
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
  /** Tokens sent to a model; null when no model read a prompt (the extractive generator). */
  promptTokens: number | null;
  completionTokens: number;
  /**
   * How the reply reached the visitor: `model` when the pieces are what a language model produced as
   * it produced them, `simulated` when a finished reply was cut into words and sent one after another
   * (the extractive generator), so a trace never passes a replay off as a model's streaming.
   */
  stream: 'model' | 'simulated';
  /**
   * Set when nothing of the reply could stand: a language model's reply with no sentence the passages
   * support. The turn then abstains instead of answering.
   */
  ungrounded?: boolean;
}

/** Receives generated text as it is produced (for streaming to the visitor). */
export type TokenSink = (delta: string) => void | Promise<void>;

export interface AnswerGenerator {
  readonly model: string;
  generate(request: GenerationRequest, onToken: TokenSink, signal?: AbortSignal): Promise<GenerationResult>;
}

/** Recorded on every assistant message, so answers can be traced to the prompt that produced them. */
export const PROMPT_VERSION = 'grounded-answer-v2';
