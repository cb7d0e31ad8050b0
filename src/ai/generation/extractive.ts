import { contentTerms, estimateTokens, neutralizeInstructions, splitSentences } from '../text';
import {
  citationsFor,
  type AnswerGenerator,
  type GenerationRequest,
  type GenerationResult,
  type Passage,
  type TokenSink,
} from './types';

/**
 * The default generator: no language model. It answers with sentences copied verbatim from the
 * retrieved passages — the ones that share the most (rare) words with the question — so it is always
 * faithful to the knowledge base and costs microseconds. Numbered or bulleted steps that follow the
 * best sentence are kept together, because help articles put procedures in lists.
 */

const MAX_SENTENCES = 4;
const PASSAGES_CONSIDERED = 3;

interface Candidate {
  passage: Passage;
  index: number;
  sentence: string;
  score: number;
}

const isListItem = (sentence: string): boolean => /^(\d+[.)]|[-*•])\s+/.test(sentence);
const isHeading = (sentence: string): boolean => /^#{1,6}\s/.test(sentence);

/** Drops markdown markers that read badly in a chat bubble. */
const plain = (sentence: string): string =>
  sentence
    .replace(/^#{1,6}\s+/, '')
    .replace(/\*\*(.+?)\*\*/g, '$1')
    .replace(/`([^`]+)`/g, '$1');

export class ExtractiveGenerator implements AnswerGenerator {
  readonly model = 'extractive-v1';

  async generate(request: GenerationRequest, onToken: TokenSink): Promise<GenerationResult> {
    const chosen = this.select(request.question, request.passages.slice(0, PASSAGES_CONSIDERED));
    const used = [...new Set(chosen.map((c) => c.passage))];
    const citations = citationsFor(used);
    const marker = (passage: Passage) =>
      `[${citations.findIndex((c) => c.documentId === passage.documentId) + 1}]`;

    // Consecutive sentences from one passage form a paragraph, closed by its citation marker.
    const paragraphs: string[] = [];
    let current: Candidate[] = [];
    const flush = () => {
      if (current.length === 0) return;
      const lines = current.map((c) => plain(c.sentence));
      paragraphs.push(`${lines.join(lines.some(isListItem) ? '\n' : ' ')} ${marker(current[0]!.passage)}`);
      current = [];
    };
    for (const candidate of chosen) {
      if (current.length > 0 && current[0]!.passage !== candidate.passage) flush();
      current.push(candidate);
    }
    flush();
    const text = paragraphs.join('\n\n');

    // Stream word by word, so the widget shows the same progressive reply as with a language model.
    for (const piece of text.match(/\S+\s*/g) ?? []) await onToken(piece);

    const prompt = [request.question, ...request.passages.map((p) => p.text)].join('\n');
    return {
      text,
      citations,
      model: this.model,
      promptTokens: estimateTokens(prompt),
      completionTokens: estimateTokens(text),
    };
  }

  /** The best sentence, the list steps or sentences that continue it, then strong sentences elsewhere. */
  private select(question: string, passages: Passage[]): Candidate[] {
    const questionTerms = new Set(contentTerms(question));
    const sentencesByPassage = passages.map((passage) =>
      splitSentences(neutralizeInstructions(passage.text)).filter((s) => !s.startsWith('[instruction-like')),
    );

    // Words that appear in few candidate sentences say more about relevance than common ones.
    const documentFrequency = new Map<string, number>();
    for (const sentences of sentencesByPassage) {
      for (const sentence of sentences) {
        for (const term of new Set(contentTerms(sentence))) {
          documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
        }
      }
    }
    const total = sentencesByPassage.reduce((n, s) => n + s.length, 0) || 1;
    const weight = (term: string) => Math.log(1 + total / (documentFrequency.get(term) ?? 1));

    const candidates: Candidate[] = passages.flatMap((passage, p) =>
      sentencesByPassage[p]!.map((sentence, index) => {
        const terms = new Set(contentTerms(sentence));
        let overlap = 0;
        for (const term of terms) if (questionTerms.has(term)) overlap += weight(term);
        // Headings name a topic but answer nothing; rank them below body text with the same words.
        const score = (isHeading(sentence) ? 0.5 : 1) * overlap + passage.score;
        return { passage, index, sentence, score };
      }),
    );
    if (candidates.length === 0) return [];

    const best = candidates.reduce((a, b) => (b.score > a.score ? b : a));
    const siblings = candidates.filter((c) => c.passage === best.passage);
    // A heading names the topic; the answer is the text under it.
    const first = isHeading(best.sentence) ? (siblings[best.index + 1] ?? best) : best;
    const chosen: Candidate[] = [first];
    for (let i = first.index + 1; i < siblings.length && chosen.length < MAX_SENTENCES; i++) {
      const next = siblings[i]!;
      // Steps of a procedure travel together; so does the sentence after a very short one.
      const continuesList =
        isListItem(next.sentence) && (isListItem(first.sentence) || first.sentence.endsWith(':'));
      const completesShort =
        chosen.length === 1 && first.sentence.split(/\s+/).length < 8 && !isHeading(next.sentence);
      if (!continuesList && !completesShort) break;
      chosen.push(next);
    }

    // A clearly relevant sentence from another document adds a second source.
    const extra = candidates
      .filter((c) => c.passage !== best.passage && c.passage.documentId !== best.passage.documentId)
      .filter((c) => !isHeading(c.sentence) && c.score >= best.score * 0.8)
      .sort((a, b) => b.score - a.score)[0];
    if (extra && chosen.length < MAX_SENTENCES) chosen.push(extra);
    return chosen;
  }
}
