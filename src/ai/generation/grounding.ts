import { analyze } from '../lexical-index';
import type { Passage } from './types';

/**
 * The grounding check for replies a language model wrote: each sentence must be supported by the
 * passages it was given — most of its words found there, and every number in it — or it is dropped.
 * A reply left with no sentence is no answer (the turn abstains). Greetings and sign-offs drop out
 * too, which a support reply does not miss.
 */

/** Share of a sentence's words (stop words aside) that must occur in the passages. */
const SUPPORT = 0.6;

const SENTENCES = new Intl.Segmenter('en', { granularity: 'sentence' });

export function groundedReply(text: string, passages: Passage[]): { text: string; dropped: string[] } {
  const source = passages.map((p) => [p.title, ...p.headings, p.context || p.text].join('\n')).join('\n');
  const sourceTerms = new Set(analyze(source));
  const sourceNumbers = new Set(numbers(source));
  const dropped: string[] = [];
  const supported = (sentence: string): boolean => {
    const bare = sentence.replace(/\[\d+(?:\s*,\s*\d+)*\]/g, '');
    const terms = analyze(bare);
    if (terms.length === 0) return false;
    const found = terms.filter((term) => sourceTerms.has(term)).length;
    return found / terms.length >= SUPPORT && numbers(bare).every((n) => sourceNumbers.has(n));
  };
  const lines = text.split('\n').map((line) => {
    const kept = [...SENTENCES.segment(line)]
      .map((s) => s.segment)
      .filter((sentence) => {
        if (!sentence.trim()) return false;
        if (supported(sentence)) return true;
        dropped.push(sentence.trim());
        return false;
      });
    return kept.join('').trim();
  });
  return { text: lines.filter(Boolean).join('\n'), dropped };
}

const numbers = (text: string): string[] => text.match(/\d+(?:[.,]\d+)*/g) ?? [];
