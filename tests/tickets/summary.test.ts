import { summarize } from '../../src/domain/tickets';

const visitor = (content: string) => ({ role: 'visitor' as const, content });
const assistant = (content: string) => ({ role: 'assistant' as const, content });

describe('the ticket summary for the agent', () => {
  it('keeps the first question and the latest four when the visitor wrote more', () => {
    const messages = [1, 2, 3, 4, 5, 6, 7].flatMap((n) => [
      visitor(`question ${n}`),
      assistant(`answer ${n}`),
    ]);
    expect(summarize(messages)).toBe(
      ['• question 1', '…', '• question 4', '• question 5', '• question 6', '• question 7'].join('\n'),
    );
  });

  it('lists every question of a short conversation on one line each', () => {
    expect(summarize([visitor('Where is\n  my order?'), assistant('Here.'), visitor('Thanks')])).toBe(
      '• Where is my order?\n• Thanks',
    );
  });
});
