import path from 'node:path';
import { checkFloors, computeMetrics, formatReport, runEval, type EvalReport } from '../../scripts/lib/eval';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { useKnowledgeServices } from '../helpers/knowledge';
import { useTestWorker } from '../helpers/temporal';

const db = useTestDatabase();
const worker = useTestWorker(db);
const services = useKnowledgeServices(db, worker);

const DATASET = path.join(__dirname, '..', 'fixtures', 'eval', 'kettle-and-crane');

describe('evaluation harness', () => {
  let report: EvalReport;

  beforeAll(async () => {
    const organization = await buildOrganization({ plan: 'enterprise' });
    const { documents, conversations } = services();
    report = await runEval({
      knex: db(),
      folder: DATASET,
      organizationId: organization.id,
      documents,
      conversations,
    });
  }, 180_000);

  it('asks every question of the dataset through a real chat turn', () => {
    expect(report.metrics).toMatchObject({ answerable: 30, unanswerable: 6 });
    expect(report.results.every((r) => ['answer', 'abstain'].includes(r.outcome))).toBe(true);
    expect(formatReport(report)).toMatch(/hit@1\s+\d+\.\d%/);
  });

  it('scores at least the floors recorded for the dataset (tests/eval/floors.json)', () => {
    const verdicts = checkFloors('kettle-and-crane', report.metrics);
    expect(verdicts.lines.filter((line) => line.startsWith('MISS'))).toEqual([]);
    expect(verdicts.ok).toBe(true);
  });
});

describe('evaluation metrics', () => {
  const result = (over: Partial<Parameters<typeof computeMetrics>[0][number]>) => ({
    question: { question: 'q', documents: ['a.md'], phrases: ['x'] },
    outcome: 'answer',
    rank: 1,
    retrieved: ['a.md'],
    topScore: 0.5,
    phrasesFound: 1,
    reply: 'x',
    latencyMs: 10,
    stages: {},
    ...over,
  });

  it('scores ranks, abstentions and phrases as defined', () => {
    const metrics = computeMetrics([
      result({}),
      result({ rank: 2, phrasesFound: 0 }),
      result({ rank: null, outcome: 'abstain', phrasesFound: 0 }),
      result({ question: { question: 'off topic', abstain: true }, outcome: 'abstain', rank: null }),
      result({ question: { question: 'off topic', abstain: true }, outcome: 'answer', rank: null }),
    ]);
    expect(metrics).toMatchObject({ answerable: 3, unanswerable: 2 });
    expect(metrics.hitAt1).toBeCloseTo(1 / 3);
    expect(metrics.hitAt5).toBeCloseTo(2 / 3);
    expect(metrics.mrr).toBeCloseTo((1 + 0.5) / 3);
    expect(metrics.abstentionPrecision).toBeCloseTo(1 / 2);
    expect(metrics.abstentionRecall).toBeCloseTo(1 / 2);
    expect(metrics.phraseRate).toBeCloseTo(1 / 3);
    // Right: the first (rank 1, phrase found, answered) and the rightly abstained off-topic one.
    expect(metrics.rightRate).toBeCloseTo(2 / 5);
  });
});
