import { estimateTokens } from './text';
import type { HistoryTurn } from './generation/types';

/**
 * Conversation memory for a chat turn: the most recent turns that fit a token budget, plus a running
 * summary of what fell out of that window.
 */

export interface Memory {
  /** Oldest first. */
  window: HistoryTurn[];
  /** Earlier turns that no longer fit, oldest first. */
  overflow: HistoryTurn[];
}

export function selectMemory(history: HistoryTurn[], budgetTokens: number): Memory {
  let used = 0;
  let start = history.length;
  while (start > 0) {
    const cost = estimateTokens(history[start - 1]!.content) + 4; // a few tokens of role framing
    if (used + cost > budgetTokens) break;
    used += cost;
    start--;
  }
  return { window: history.slice(start), overflow: history.slice(0, start) };
}

const SUMMARY_LIMIT = 600;

/**
 * Without a language model the summary keeps what matters most for follow-ups: the questions the
 * visitor asked earlier, newest last, within a fixed size.
 */
export function extendSummary(summary: string, overflow: HistoryTurn[]): string {
  const questions = overflow
    .filter((t) => t.role === 'visitor')
    .map((t) => t.content.replace(/\s+/g, ' ').trim());
  if (questions.length === 0) return summary;
  const earlier = summary
    .replace(/^Earlier the visitor asked: /, '')
    .split(' | ')
    .filter(Boolean);
  const merged = [...new Set([...earlier, ...questions])];
  let text = '';
  for (let i = merged.length - 1; i >= 0; i--) {
    const next = text ? `${merged[i]} | ${text}` : merged[i]!;
    if (next.length > SUMMARY_LIMIT) break;
    text = next;
  }
  return `Earlier the visitor asked: ${text}`;
}

const FOLLOW_UP =
  /^(and|also|but|what about|how about|then|so|ok|okay)\b|\b(it|its|that|this|those|these|they|them)\b/i;

/**
 * A follow-up ("and how long does it take?") means little on its own; for retrieval it is joined to
 * the visitor's previous question. Questions that stand alone are returned unchanged.
 */
export function standaloneQuestion(question: string, window: HistoryTurn[]): string {
  const previous = [...window].reverse().find((t) => t.role === 'visitor');
  if (!previous) return question;
  const words = question.trim().split(/\s+/).length;
  if (words > 12 || !FOLLOW_UP.test(question)) return question;
  return `${previous.content.trim()} ${question.trim()}`;
}
