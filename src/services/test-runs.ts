import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import type { Knex } from 'knex';
import {
  TestQuestion,
  TestResult,
  TestRun,
  TestSet,
  type Citation,
  type RetrievalTrace,
  type TestExpectation,
  type TestResultStatus,
  type TestRunStatus,
  type TestRunTrigger,
} from '../db/models';
import { problems } from '../lib/problem';
import type { Integer } from '../domain/schemas';
import { paginate, type Page, type PageParams } from '../lib/pagination';
import type { OrganizationPassRate } from '../observability/metrics';
import type { TemporalGateway } from '../temporal/client';
import {
  knowledgeChangedSignal,
  knowledgeChangeWorkflowId,
  testRunWorkflowId,
  type KnowledgeChangeInput,
  type TestRunInput,
  type TestRunSummary,
} from '../workflows/contracts';

/**
 * Test runs (#22): each is a workflow (`test-run-<organizationId>-<testSetId>`) that asks every
 * question of a set through the chat turn's path and records one result per question. A start while
 * a run of the same set is going joins it; knowledge changes start runs through a debouncer
 * (`test-runs-after-knowledge-change-<organizationId>`), so a bulk upload triggers one run per set.
 */

/** Starts the set's run, or joins the one already going; returns the run's id. */
export async function startTestRun(client: Client, taskQueue: string, input: TestRunInput): Promise<string> {
  const handle = await client.workflow.start('testRun', {
    workflowId: testRunWorkflowId(input.organizationId, input.testSetId),
    taskQueue,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
  return handle.firstExecutionRunId;
}

/**
 * Tells the organization's debouncer that its knowledge changed (a document went live or was
 * deleted); the debouncer starts every test set's run once changes stop for `quietSeconds`.
 * An organization without test sets starts nothing.
 */
export async function noteKnowledgeChange(
  client: Client,
  taskQueue: string,
  knex: Knex,
  input: KnowledgeChangeInput,
): Promise<void> {
  const sets = await TestSet.query(knex).forOrganization(input.organizationId).resultSize();
  if (sets === 0) return;
  await client.workflow.signalWithStart('testRunsAfterKnowledgeChange', {
    workflowId: knowledgeChangeWorkflowId(input.organizationId),
    taskQueue,
    args: [input],
    signal: knowledgeChangedSignal,
    signalArgs: [],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
  });
}

/** Counts a run's results by status. */
export async function summarizeRun(
  knex: Knex,
  organizationId: string,
  runId: string,
): Promise<TestRunSummary> {
  const rows = (await TestResult.query(knex)
    .forOrganization(organizationId)
    .where('testRunId', runId)
    .groupBy('status')
    .select('status')
    .count('* as count')) as unknown as { status: TestResultStatus; count: string }[];
  const count = (status: TestResultStatus) => Number(rows.find((r) => r.status === status)?.count ?? 0);
  return {
    runId,
    questionCount: rows.reduce((sum, r) => sum + Number(r.count), 0),
    passed: count('passed'),
    failed: count('failed'),
    missingDocuments: count('document_missing'),
  };
}

/**
 * Each organization's pass rate over its test sets' latest completed runs (the Prometheus gauge);
 * organizations whose runs judged nothing are left out. Spans organizations: it serves the operator.
 */
export async function organizationPassRates(knex: Knex): Promise<OrganizationPassRate[]> {
  const { rows } = await knex.raw<{ rows: { organization_id: string; pass_rate: number }[] }>(
    `select organization_id, sum(passed)::float / sum(passed + failed) as pass_rate
       from (select distinct on (test_set_id) organization_id, passed, failed
               from test_runs where status = 'completed'
              order by test_set_id, finished_at desc) latest
      group by organization_id
     having sum(passed + failed) > 0`,
  );
  return rows.map((r) => ({ organizationId: r.organization_id, passRate: r.pass_rate }));
}

/** A test run as the API shows it. */
export interface TestRunView {
  /** The run id of its workflow (see `workflowId`). */
  id: string;
  testSetId: string;
  /** The workflow that ran it, for the Temporal UI. */
  workflowId: string;
  trigger: TestRunTrigger;
  status: TestRunStatus;
  questionCount: Integer;
  passed: Integer;
  failed: Integer;
  /** Questions whose expected document was deleted: neither passed nor failed. */
  missingDocuments: Integer;
  /** Passed among passed and failed (0–1); null until a question is judged. */
  passRate: number | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export const passRate = (run: Pick<TestRun, 'passed' | 'failed'>): number | null =>
  run.passed + run.failed === 0 ? null : run.passed / (run.passed + run.failed);

export const toTestRunView = (run: TestRun): TestRunView => ({
  id: run.id,
  testSetId: run.testSetId,
  workflowId: run.workflowId,
  trigger: run.trigger,
  status: run.status,
  questionCount: run.questionCount,
  passed: run.passed,
  failed: run.failed,
  missingDocuments: run.missingDocuments,
  passRate: passRate(run),
  startedAt: run.createdAt,
  finishedAt: run.finishedAt,
});

/** One question's result in a run. */
export interface TestResultView {
  questionId: string;
  /** The question as it was asked in this run. */
  question: string;
  expectation: TestExpectation;
  status: TestResultStatus;
  /** Why it did not pass, for people; empty when it passed. */
  failures: string[];
  /** 1-based rank of the first expected document among the retrieved pages; null when not retrieved. */
  expectedRank: Integer | null;
  /** What the assistant did: answer, abstain or escalate. */
  outcome: string;
  reply: string;
  citations: Citation[];
  /** Why the assistant answered, abstained or escalated. */
  decisionReasons: string[];
  retrievalTrace: RetrievalTrace | null;
}

export const toTestResultView = (r: TestResult): TestResultView => ({
  questionId: r.questionId,
  question: r.question,
  expectation: r.expectation,
  status: r.status,
  failures: r.failures,
  expectedRank: r.expectedRank,
  outcome: r.outcome,
  reply: r.reply,
  citations: r.citations,
  decisionReasons: r.decisionReasons,
  retrievalTrace: r.retrievalTrace,
});

export interface TestRunDetail extends TestRunView {
  results: TestResultView[];
}

/** A question whose result changed between two runs, with both replies. */
export interface TestResultChange {
  questionId: string;
  question: string;
  before: TestResultView;
  after: TestResultView;
}

export interface TestRunChanges {
  /** The completed run before this one; null for a set's first run. */
  previousRunId: string | null;
  /** Passed in the previous run, not now. */
  newlyFailing: TestResultChange[];
  /** Did not pass in the previous run, passes now. */
  newlyPassing: TestResultChange[];
}

/** A completed run's pass rate, for the chart. */
export interface PassRatePoint {
  runId: string;
  finishedAt: Date;
  passRate: number | null;
}

export class TestRunService {
  constructor(private readonly deps: { knex: Knex; temporal: TemporalGateway }) {}

  /** Starts a run of the set now, or joins the one going (the same id comes back). */
  async start(organizationId: string, testSetId: string): Promise<TestRun> {
    const { knex } = this.deps;
    const set = await TestSet.query(knex).forOrganization(organizationId).findById(testSetId);
    if (!set) throw problems.notFound('The test set');
    const questions = await TestQuestion.query(knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId)
      .resultSize();
    if (questions === 0) throw problems.conflict('The test set has no questions to run.');
    const client = await this.deps.temporal.getClient();
    const runId = await startTestRun(client, this.deps.temporal.taskQueue, {
      organizationId,
      testSetId,
      trigger: 'manual',
    });
    // The workflow records the run too (its first activity); whichever comes first creates the row.
    await TestRun.query(knex)
      .forOrganization(organizationId)
      .insert({
        id: runId,
        testSetId,
        workflowId: testRunWorkflowId(organizationId, testSetId),
        trigger: 'manual',
        questionCount: questions,
      })
      .onConflict('id')
      .ignore();
    return this.run(organizationId, testSetId, runId);
  }

  list(organizationId: string, testSetId: string, params: PageParams): Promise<Page<TestRun>> {
    const query = TestRun.query(this.deps.knex).forOrganization(organizationId).where('testSetId', testSetId);
    return paginate(query, 'test_runs', params);
  }

  async run(organizationId: string, testSetId: string, runId: string): Promise<TestRun> {
    const run = await TestRun.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId)
      .findById(runId);
    if (!run) throw problems.notFound('The test run');
    return run;
  }

  async results(organizationId: string, runId: string): Promise<TestResult[]> {
    return TestResult.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testRunId', runId)
      .orderBy([{ column: 'createdAt' }, { column: 'id' }]);
  }

  async detail(organizationId: string, testSetId: string, runId: string): Promise<TestRunDetail> {
    const run = await this.run(organizationId, testSetId, runId);
    const results = await this.results(organizationId, runId);
    return { ...toTestRunView(run), results: results.map(toTestResultView) };
  }

  /** The set's latest run, or undefined before its first. */
  async latest(organizationId: string, testSetId: string): Promise<TestRun | undefined> {
    return TestRun.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId)
      .orderBy([
        { column: 'createdAt', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .first();
  }

  /** What changed since the completed run before this one: newly failing and newly passing questions. */
  async changes(organizationId: string, testSetId: string, runId: string): Promise<TestRunChanges> {
    const run = await this.run(organizationId, testSetId, runId);
    const previous = await TestRun.query(this.deps.knex)
      .forOrganization(organizationId)
      .where({ testSetId, status: 'completed' })
      .whereNot('id', run.id)
      .where('createdAt', '<', run.createdAt)
      .orderBy('createdAt', 'desc')
      .first();
    if (!previous) return { previousRunId: null, newlyFailing: [], newlyPassing: [] };
    const [before, after] = await Promise.all([
      this.results(organizationId, previous.id),
      this.results(organizationId, run.id),
    ]);
    const earlier = new Map(before.map((r) => [r.questionId, r]));
    const newlyFailing: TestResultChange[] = [];
    const newlyPassing: TestResultChange[] = [];
    for (const now of after) {
      const then = earlier.get(now.questionId);
      if (!then) continue;
      const change = {
        questionId: now.questionId,
        question: now.question,
        before: toTestResultView(then),
        after: toTestResultView(now),
      };
      if (then.status === 'passed' && now.status !== 'passed') newlyFailing.push(change);
      if (then.status !== 'passed' && now.status === 'passed') newlyPassing.push(change);
    }
    return { previousRunId: previous.id, newlyFailing, newlyPassing };
  }

  /** The pass rate of the set's last `limit` completed runs, oldest first (the console's chart). */
  async history(organizationId: string, testSetId: string, limit = 30): Promise<PassRatePoint[]> {
    const runs = await TestRun.query(this.deps.knex)
      .forOrganization(organizationId)
      .where({ testSetId, status: 'completed' })
      .orderBy('finishedAt', 'desc')
      .limit(limit);
    return runs
      .reverse()
      .map((run) => ({ runId: run.id, finishedAt: run.finishedAt!, passRate: passRate(run) }));
  }
}
