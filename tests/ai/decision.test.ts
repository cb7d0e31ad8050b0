import {
  DEFAULT_ESCALATION,
  asksForHuman,
  decideTurn,
  type TurnSignals,
} from '../../src/domain/turn-decision';
import { VaderSentiment } from '../../src/ai/sentiment';
import { extendSummary, selectMemory, standaloneQuestion } from '../../src/ai/memory';

const signals = (overrides: Partial<TurnSignals> = {}): TurnSignals => ({
  question: 'How do I export my notes?',
  confidence: 0.62,
  confidenceThreshold: 0.35,
  sentiment: 0,
  previousSentiments: [],
  fallMustEndLow: true,
  abstentionsInRow: 0,
  settings: DEFAULT_ESCALATION,
  ...overrides,
});

describe('turn decision', () => {
  it('answers a confident, calm question', () => {
    expect(decideTurn(signals())).toEqual({ action: 'answer', reasons: [] });
  });

  it('abstains below the confidence threshold, with the score in the reason', () => {
    expect(decideTurn(signals({ confidence: 0.2 }))).toEqual({
      action: 'abstain',
      reasons: ['the documents do not answer it (confidence 0.20, below the threshold 0.35)'],
    });
    expect(decideTurn(signals({ confidence: null })).reasons[0]).toMatch(/no passage found/);
  });

  it.each([
    ['Can I speak to a human?', true],
    ['I want to talk to someone from support', true],
    ['Connect me with a real person', true],
    ['Is there a representative available?', true],
    ['How do humans use this app?', false],
    ['How do I export my notes?', false],
  ])('detects a request for a person in %j → %s', (text, expected) => {
    expect(asksForHuman(text)).toBe(expected);
  });

  it('escalates on each signal with its reason', () => {
    expect(decideTurn(signals({ question: 'Let me talk to an agent' })).reasons).toEqual([
      'visitor asked for a human',
    ]);
    expect(decideTurn(signals({ sentiment: -0.8 })).reasons).toEqual(['negative sentiment (-0.80)']);
    expect(decideTurn(signals({ sentiment: -0.5, previousSentiments: [0.6, 0.5] })).reasons).toEqual([
      'sentiment falling (0.60 → -0.50)',
    ]);
    // A plain question after warm thanks falls as far, but nobody is upset (turns before the rule: replayed as they were).
    expect(decideTurn(signals({ sentiment: 0, previousSentiments: [0.9] })).action).toBe('answer');
    expect(decideTurn(signals({ sentiment: -0.3, previousSentiments: [0.9] })).action).toBe('answer');
    expect(
      decideTurn(signals({ sentiment: 0, previousSentiments: [0.9], fallMustEndLow: false })).reasons,
    ).toEqual(['sentiment falling (0.90 → 0.00)']);
    expect(decideTurn(signals({ confidence: 0.1, abstentionsInRow: 1 })).reasons).toEqual([
      'the documents did not answer 2 questions in a row',
    ]);
    // The widget's "Talk to a human" after one refusal: one reason, not also a second unanswered question.
    expect(
      decideTurn(
        signals({ question: "I'd like to talk to a person, please.", confidence: 0.05, abstentionsInRow: 1 }),
      ).reasons,
    ).toEqual(['visitor asked for a human']);
    const rules = { ...DEFAULT_ESCALATION, keywords: ['chargeback'] };
    expect(decideTurn(signals({ question: 'I will file a Chargeback', settings: rules })).reasons).toEqual([
      'matched escalation keyword "chargeback"',
    ]);
  });

  it('records every reason that applies', () => {
    const decision = decideTurn(
      signals({ question: 'I want a human NOW, this is useless', sentiment: -0.9 }),
    );
    expect(decision.action).toBe('escalate');
    expect(decision.reasons).toHaveLength(2);
  });
});

describe('VADER sentiment', () => {
  const vader = new VaderSentiment();
  it('scores angry, neutral and happy messages in order', async () => {
    const angry = await vader.score('This is useless!!! I am SO angry, nothing works.');
    const neutral = await vader.score('How do I export my notes?');
    const happy = await vader.score('Thanks a lot, that was really helpful!');
    expect(angry).toBeLessThan(-0.6);
    expect(neutral).toBe(0);
    expect(happy).toBeGreaterThan(0.5);
  });

  it('understands negation', async () => {
    expect(await vader.score('This is not helpful at all')).toBeLessThan(0);
  });
});

describe('conversation memory', () => {
  const turn = (role: 'visitor' | 'assistant', content: string) => ({ role, content });

  it('keeps the most recent turns that fit the budget and reports the rest', () => {
    const history = [
      turn('visitor', 'a'.repeat(400)),
      turn('assistant', 'b'.repeat(400)),
      turn('visitor', 'c'.repeat(40)),
    ];
    const memory = selectMemory(history, 120);
    expect(memory.window.map((t) => t.content[0])).toEqual(['b', 'c']);
    expect(memory.overflow.map((t) => t.content[0])).toEqual(['a']);
  });

  it('summarises the questions that fell out of the window', () => {
    const summary = extendSummary('', [turn('visitor', 'How do I export?'), turn('assistant', 'Like this.')]);
    expect(summary).toBe('Earlier the visitor asked: How do I export?');
    expect(extendSummary(summary, [turn('visitor', 'And delete?')])).toBe(
      'Earlier the visitor asked: How do I export? | And delete?',
    );
  });

  it('joins a follow-up to the previous question and leaves standalone questions alone', () => {
    const window = [turn('visitor', 'How do I export my notes?'), turn('assistant', 'Open Settings.')];
    expect(standaloneQuestion('How long does it take?', window)).toBe(
      'How do I export my notes? How long does it take?',
    );
    expect(standaloneQuestion('What payment methods do you accept for the Team plan?', window)).toBe(
      'What payment methods do you accept for the Team plan?',
    );
    expect(standaloneQuestion('How long does it take?', [])).toBe('How long does it take?');
  });
});
