/**
 * Whether a test question's reply is right (#22): pure, shared by the test-run activity that records
 * it and the tests. A question expects an answer (citing one of its expected documents, when it names
 * any, and containing each required phrase), an abstention, or an escalation.
 */

export type Expectation = 'answer' | 'abstain' | 'escalate';

export interface TestExpectationSpec {
  expectation: Expectation;
  /** Documents a right answer may cite (one is enough); empty when any source will do. */
  expectedDocumentIds: string[];
  requiredPhrases: string[];
}

export interface TestReply {
  /** What the turn did: answer, abstain or escalate. */
  outcome: string;
  text: string;
  /** Documents the reply cites. */
  citedDocumentIds: string[];
  /** Documents of the retrieved passages, best first (one entry per passage). */
  retrievedDocumentIds: string[];
}

export interface TestJudgement {
  status: 'passed' | 'failed' | 'document_missing';
  failures: string[];
  /** 1-based rank of the first expected document among the retrieved pages; null when not retrieved. */
  expectedRank: number | null;
}

/**
 * Judges a reply. `missingDocuments` names the expected documents deleted since the question was
 * written: such a question can neither pass nor fail on its sources, so it is reported as
 * `document_missing`.
 */
export function judgeTestReply(
  spec: TestExpectationSpec,
  reply: TestReply,
  missingDocuments: string[] = [],
): TestJudgement {
  const pages = [...new Set(reply.retrievedDocumentIds)];
  const ranks = spec.expectedDocumentIds.map((id) => pages.indexOf(id)).filter((i) => i >= 0);
  const expectedRank = ranks.length > 0 ? Math.min(...ranks) + 1 : null;
  if (missingDocuments.length > 0) {
    return {
      status: 'document_missing',
      failures: missingDocuments.map((title) => `the expected document "${title}" was deleted`),
      expectedRank,
    };
  }
  const failures: string[] = [];
  if (reply.outcome !== spec.expectation) {
    failures.push(`expected the assistant to ${spec.expectation}, it chose to ${reply.outcome}`);
  }
  if (spec.expectation === 'answer' && reply.outcome === 'answer') {
    if (
      spec.expectedDocumentIds.length > 0 &&
      !spec.expectedDocumentIds.some((id) => reply.citedDocumentIds.includes(id))
    ) {
      failures.push(
        expectedRank === null
          ? 'no expected document was retrieved'
          : `the reply does not cite an expected document (retrieved at rank ${expectedRank})`,
      );
    }
    const text = reply.text.toLowerCase();
    for (const phrase of spec.requiredPhrases) {
      if (!text.includes(phrase.toLowerCase())) failures.push(`the reply does not contain "${phrase}"`);
    }
  }
  return { status: failures.length === 0 ? 'passed' : 'failed', failures, expectedRank };
}
