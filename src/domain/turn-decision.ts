/**
 * What a chat turn does with a visitor's message: answer, abstain (say plainly that the knowledge base
 * does not cover it and offer a human), or escalate to a human — with the reasons recorded.
 * Pure and deterministic: the chat-turn workflow calls it directly.
 */

export type TurnAction = 'answer' | 'abstain' | 'escalate';

/** How a chat turn ended: its decision, or refused (the plan's quota), or left to a person (handed off). */
export type TurnOutcome = TurnAction | 'quota_exceeded' | 'handed_off';

export interface EscalationSettings {
  /** A single message at or below this sentiment escalates. */
  sentimentThreshold: number;
  /** Escalate when the visitor's sentiment fell by at least this much over their last messages. */
  sentimentDrop: number;
  /** Escalate when the assistant has abstained this many times in a row (this turn included). */
  maxAbstentions: number;
  /** Case-insensitive words or phrases that always escalate (e.g. "lawyer", "chargeback"). */
  keywords: string[];
}

export const DEFAULT_ESCALATION: EscalationSettings = {
  sentimentThreshold: -0.6,
  sentimentDrop: 0.8,
  maxAbstentions: 2,
  keywords: [],
};

export interface TurnSignals {
  question: string;
  /**
   * The calibrated probability (0–1) that the best retrieved passage answers the question (see
   * src/ai/retrieval.ts); null when nothing was retrieved.
   */
  confidence: number | null;
  /** The organization's threshold: below it the assistant says it does not know. */
  confidenceThreshold: number;
  sentiment: number;
  /** Sentiment of the visitor's earlier messages, oldest first. */
  previousSentiments: number[];
  /**
   * A fall counts only when it ends three quarters of the way to the escalation threshold: a question
   * after "thank you so much!" falls as far without anyone being upset, and a neutral question often
   * scores a little below zero. False for turns recorded before this rule (replay).
   */
  fallMustEndLow: boolean;
  /** Abstentions immediately before this turn. */
  abstentionsInRow: number;
  settings: EscalationSettings;
}

export interface TurnDecision {
  action: TurnAction;
  reasons: string[];
}

const HUMAN_REQUEST =
  /\b(human|real person|live (agent|person|chat)|representative|operator|(talk|speak|chat) (to|with) (someone|somebody|a person|an? (agent|human|person)|support|staff)|connect me (to|with)|customer (service|support) (agent|rep))\b/i;

export const asksForHuman = (text: string): boolean => HUMAN_REQUEST.test(text);

export function decideTurn(signals: TurnSignals): TurnDecision {
  const { settings } = signals;
  const reasons: string[] = [];
  const text = signals.question.toLowerCase();

  const wantsPerson = asksForHuman(signals.question);
  if (wantsPerson) reasons.push('visitor asked for a human');
  const keyword = settings.keywords.find((k) => k.trim() && text.includes(k.trim().toLowerCase()));
  if (keyword) reasons.push(`matched escalation keyword "${keyword.trim()}"`);
  if (signals.sentiment <= settings.sentimentThreshold) {
    reasons.push(`negative sentiment (${signals.sentiment.toFixed(2)})`);
  } else {
    const recent = signals.previousSentiments.slice(-3);
    const fell = recent.length > 0 && Math.max(...recent) - signals.sentiment >= settings.sentimentDrop;
    if (fell && (!signals.fallMustEndLow || signals.sentiment <= settings.sentimentThreshold * 0.75)) {
      reasons.push(`sentiment falling (${Math.max(...recent).toFixed(2)} → ${signals.sentiment.toFixed(2)})`);
    }
  }

  const confident = signals.confidence !== null && signals.confidence >= signals.confidenceThreshold;
  // Asking for a person is not a question the documents failed: after one refusal, "Talk to a human"
  // is escalated for what it is, not also as a second unanswered question.
  if (!confident && !wantsPerson && signals.abstentionsInRow + 1 >= settings.maxAbstentions) {
    reasons.push(`the documents did not answer ${signals.abstentionsInRow + 1} questions in a row`);
  }

  if (reasons.length > 0) return { action: 'escalate', reasons };
  if (!confident) {
    const found =
      signals.confidence === null ? 'no passage found' : `confidence ${signals.confidence.toFixed(2)}`;
    return {
      action: 'abstain',
      reasons: [
        `the documents do not answer it (${found}, below the threshold ${signals.confidenceThreshold})`,
      ],
    };
  }
  return { action: 'answer', reasons: [] };
}
