import type { Request as ExRequest } from 'express';
import {
  Body,
  Controller,
  Delete,
  Header,
  Get,
  Patch,
  Path,
  Post,
  Query,
  Request,
  Response,
  Route,
  Security,
  SuccessResponse,
  Tags,
} from 'tsoa';
import type { TestExpectation } from '../../db/models';
import {
  toTestQuestionView,
  toTestSetView,
  type TestQuestionView,
  type TestSetView,
} from '../../services/test-sets';
import {
  toTestRunView,
  type TestRunChanges,
  type TestRunDetail,
  type TestRunView,
  type PassRatePoint,
} from '../../services/test-runs';
import { principalOf } from '../auth/principal';
import type { Page } from '../../lib/pagination';
import { PROBLEM_JSON as PROBLEM, type ProblemDocument } from '../../lib/problem';
import type { IdempotencyKeyHeader, Integer, Uuid } from '../../domain/schemas';
import type { ApiServices } from '../services';
import { answerIdempotently } from '../idempotency';

/**
 * A phrase a right reply contains (case-insensitive).
 * @minLength 1
 * @maxLength 200
 * @example "30 days"
 */
export type TestPhrase = string;

/**
 * A document, by id or exact title.
 * @minLength 1
 * @maxLength 500
 * @example "Billing, plans and refunds"
 */
export type TestSource = string;

/**
 * A new test set.
 * @example { "name": "Refunds", "description": "What customers ask about refunds" }
 */
export interface TestSetCreation {
  /**
   * Unique in the organization.
   * @minLength 1
   * @maxLength 200
   * @example "Refunds"
   */
  name: string;
  /**
   * @maxLength 2000
   * @example "What customers ask about refunds"
   */
  description?: string;
}

/**
 * The fields to change.
 * @example { "name": "Refunds and returns" }
 */
export interface TestSetChange {
  /**
   * @minLength 1
   * @maxLength 200
   * @example "Refunds and returns"
   */
  name?: string;
  /**
   * @maxLength 2000
   * @example "What customers ask about refunds and returns"
   */
  description?: string;
}

/**
 * A question in a customer's words and what a right reply does.
 * @example { "question": "Can I get my money back after three weeks?", "expectation": "answer", "sources": ["Billing, plans and refunds"], "phrases": ["30 days"] }
 */
export interface TestQuestionCreation {
  /**
   * @minLength 1
   * @maxLength 2000
   * @example "Can I get my money back after three weeks?"
   */
  question: string;
  /**
   * `answer` (the default): the assistant answers, citing one of `sources` when given and containing
   * every phrase; `abstain`: it says the documents do not cover it; `escalate`: it hands over to a person.
   * @example "answer"
   */
  expectation?: TestExpectation;
  /**
   * Documents a right answer may cite (one is enough), by id or exact title.
   * @maxItems 10
   * @example ["Billing, plans and refunds"]
   */
  sources?: TestSource[];
  /**
   * Phrases the reply must contain (case-insensitive).
   * @maxItems 10
   * @example ["30 days"]
   */
  phrases?: TestPhrase[];
}

/**
 * The fields to change; sources and phrases are replaced whole.
 * @example { "phrases": ["30 days", "refund"] }
 */
export interface TestQuestionChange {
  /**
   * @minLength 1
   * @maxLength 2000
   * @example "Can I still get a refund after three weeks?"
   */
  question?: string;
  /** @example "answer" */
  expectation?: TestExpectation;
  /**
   * @maxItems 10
   * @example ["Billing, plans and refunds"]
   */
  sources?: TestSource[];
  /**
   * @maxItems 10
   * @example ["30 days", "refund"]
   */
  phrases?: TestPhrase[];
}

/**
 * Questions to add, as the text of a CSV or JSON file.
 * @example { "format": "csv", "content": "question,expectation,sources,phrases\nHow long do refunds take?,answer,Billing,30 days\nWhat is the meaning of life?,abstain,,\n" }
 */
export interface TestQuestionImport {
  /**
   * `csv`: a header row naming `question` and optionally `expectation`, `sources` and `phrases`
   * (lists separated by `|`). `json`: an array of objects shaped like a question's creation.
   * @example "csv"
   */
  format: 'csv' | 'json';
  /**
   * The file's text; at most 200 questions per set.
   * @minLength 1
   * @maxLength 1000000
   * @example "question,expectation\nHow long do refunds take?,answer\n"
   */
  content: string;
}

/**
 * A conversation turn to keep as a question.
 * @example { "messageId": "0b5f0a5e-9a1c-4c47-a8f6-2d6f3c1b8e21", "verdict": "wrong", "source": "Billing, plans and refunds" }
 */
export interface TestQuestionFromTurn {
  /** The assistant's reply (its visitor message becomes the question). */
  messageId: Uuid;
  /**
   * `right`: the reply is what a right one does (the same sources, or the same abstention or
   * escalation); `wrong`: a right reply answers citing `source`.
   * @example "wrong"
   */
  verdict: 'right' | 'wrong';
  /**
   * With `wrong`: the document (id or exact title) a right answer cites.
   * @minLength 1
   * @maxLength 500
   * @example "Billing, plans and refunds"
   */
  source?: string;
}

export interface TestQuestionImportResult {
  /** How many questions were added. */
  imported: Integer;
  questions: TestQuestionView[];
}

export interface TestSetDetail extends TestSetView {
  /** The latest run, going or finished; null before the first. */
  lastRun: TestRunView | null;
  /** The pass rate of the last 30 completed runs, oldest first. */
  passRateHistory: PassRatePoint[];
}

/**
 * Answer tests: each organization's questions with what a right reply must show, run as workflows
 * (`test-run-<organizationId>-<testSetId>`) through the chat turn's own path, on demand and after
 * every knowledge change.
 */
@Route('v1/test-sets')
@Tags('Test sets')
export class TestSetsController extends Controller {
  constructor(private readonly services: ApiServices) {
    super();
  }

  /**
   * Creates a test set.
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Create a test set
   */
  @Post()
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'A test set with this name exists', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async createTestSet(
    @Request() req: ExRequest,
    @Body() body: TestSetCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TestSetView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: toTestSetView(await this.services.testSets.create(principalOf(req).organizationId, body)),
    }));
  }

  /**
   * The organization's test sets, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List test sets
   */
  @Get()
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listTestSets(
    @Request() req: ExRequest,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt' | 'name' | '-name',
  ): Promise<Page<TestSetView>> {
    const page = await this.services.testSets.list(principalOf(req).organizationId, { limit, cursor, sort });
    return { items: page.items.map(toTestSetView), nextCursor: page.nextCursor };
  }

  /**
   * One test set, with its latest run and its pass rate over time.
   * @summary Get a test set
   */
  @Get('{id}')
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getTestSet(@Request() req: ExRequest, @Path() id: Uuid): Promise<TestSetDetail> {
    const { organizationId } = principalOf(req);
    const set = await this.services.testSets.get(organizationId, id);
    const [lastRun, passRateHistory] = await Promise.all([
      this.services.testRuns.latest(organizationId, id),
      this.services.testRuns.history(organizationId, id),
    ]);
    return { ...toTestSetView(set), lastRun: lastRun ? toTestRunView(lastRun) : null, passRateHistory };
  }

  /**
   * Renames a test set or changes its description.
   * @summary Update a test set
   */
  @Patch('{id}')
  @Security('bearer', ['admin', 'test_sets:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'A test set with this name exists', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateTestSet(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TestSetChange,
  ): Promise<TestSetView> {
    return toTestSetView(await this.services.testSets.update(principalOf(req).organizationId, id, body));
  }

  /**
   * Deletes a test set with its questions and runs.
   * @summary Delete a test set
   */
  @Delete('{id}')
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(204, 'Deleted')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async deleteTestSet(@Request() req: ExRequest, @Path() id: Uuid): Promise<void> {
    await this.services.testSets.delete(principalOf(req).organizationId, id);
    this.setStatus(204);
  }

  /**
   * The set's questions, in the order they were written by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List a set's questions
   */
  @Get('{id}/questions')
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listTestQuestions(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
  ): Promise<Page<TestQuestionView>> {
    const page = await this.services.testSets.questions(principalOf(req).organizationId, id, {
      limit,
      cursor,
      sort,
    });
    return { items: page.items.map(toTestQuestionView), nextCursor: page.nextCursor };
  }

  /**
   * Adds a question (at most 200 per set).
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Add a question
   */
  @Post('{id}/questions')
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields, an unknown source, or the set is full', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async addTestQuestion(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TestQuestionCreation,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TestQuestionView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: toTestQuestionView(
        await this.services.testSets.addQuestion(principalOf(req).organizationId, id, body),
      ),
    }));
  }

  /**
   * Keeps a real conversation turn as a question ("this was right" / "this was wrong, the right source is …").
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Add a question from a conversation turn
   */
  @Post('{id}/questions/from-turn')
  @Security('bearer', ['admin', 'test_sets:write', 'conversations:read'])
  @SuccessResponse(201, 'Created')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(
    404,
    'No such test set or assistant reply in this organization',
    undefined,
    PROBLEM,
  )
  @Response<ProblemDocument>(409, 'The reply was not an answer, abstention or escalation', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields, an unknown source, or the set is full', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async addTestQuestionFromTurn(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TestQuestionFromTurn,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TestQuestionView> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => ({
      status: 201,
      body: toTestQuestionView(
        await this.services.testSets.promoteTurn(principalOf(req).organizationId, id, body),
      ),
    }));
  }

  /**
   * Changes a question.
   * @summary Update a question
   */
  @Patch('{id}/questions/{questionId}')
  @Security('bearer', ['admin', 'test_sets:write'])
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such question in this set', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid fields or an unknown source', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async updateTestQuestion(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() questionId: Uuid,
    @Body() body: TestQuestionChange,
  ): Promise<TestQuestionView> {
    const question = await this.services.testSets.updateQuestion(
      principalOf(req).organizationId,
      id,
      questionId,
      body,
    );
    return toTestQuestionView(question);
  }

  /**
   * Deletes a question; past runs keep its results.
   * @summary Delete a question
   */
  @Delete('{id}/questions/{questionId}')
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(204, 'Deleted')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such question in this set', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async deleteTestQuestion(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() questionId: Uuid,
  ): Promise<void> {
    await this.services.testSets.deleteQuestion(principalOf(req).organizationId, id, questionId);
    this.setStatus(204);
  }

  /**
   * Imports questions from a CSV or JSON file's text: all rows are added or none, and each bad row is
   * named in `errors` (`body.rows[3].expectation`, rows counted from 1 after the header).
   * @param idempotencyKey Send the same key again to retry safely: the same request gets the first answer (for 24 hours); another request with it is refused (422).
   * @summary Import questions
   */
  @Post('{id}/questions/import')
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(201, 'Imported')
  @Response<ProblemDocument>(400, 'Malformed request', undefined, PROBLEM)
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(413, 'Request body too large', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid rows, or more questions than a set holds', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async importTestQuestions(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Body() body: TestQuestionImport,
    @Header('Idempotency-Key') idempotencyKey?: IdempotencyKeyHeader,
  ): Promise<TestQuestionImportResult> {
    return answerIdempotently(this, req, idempotencyKey, body, async () => {
      const questions = await this.services.testSets.import(principalOf(req).organizationId, id, body);
      return {
        status: 201,
        body: { imported: questions.length, questions: questions.map(toTestQuestionView) },
      };
    });
  }

  /**
   * Runs the set now: every question goes through the chat turn's path (no conversation, usage or
   * ticket). While a run of the set is going, this joins it and returns the same run.
   * @summary Run a test set
   */
  @Post('{id}/runs')
  @Security('bearer', ['admin', 'test_sets:write'])
  @SuccessResponse(202, 'Run started or joined')
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(409, 'The set has no questions', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  @Response<ProblemDocument>(503, 'The workflow engine is unreachable', undefined, PROBLEM)
  public async startTestRun(@Request() req: ExRequest, @Path() id: Uuid): Promise<TestRunView> {
    const run = await this.services.testRuns.start(principalOf(req).organizationId, id);
    this.setStatus(202);
    return toTestRunView(run);
  }

  /**
   * The set's runs, newest first by default.
   * @param limit Page size, 1 to 100 (default 20).
   * @param cursor `nextCursor` of the previous page.
   * @param sort A field, descending with a leading `-`.
   * @isInt limit
   * @minimum limit 1
   * @maximum limit 100
   * @summary List a set's runs
   */
  @Get('{id}/runs')
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such test set in this organization', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid query parameters', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async listTestRuns(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Query() limit?: number,
    @Query() cursor?: string,
    @Query() sort?: 'createdAt' | '-createdAt',
  ): Promise<Page<TestRunView>> {
    const { organizationId } = principalOf(req);
    await this.services.testSets.get(organizationId, id);
    const page = await this.services.testRuns.list(organizationId, id, { limit, cursor, sort });
    return { items: page.items.map(toTestRunView), nextCursor: page.nextCursor };
  }

  /**
   * One run with every question's result: pass or fail and why, the reply, the outcome, the trace.
   * @summary Get a run with its results
   */
  @Get('{id}/runs/{runId}')
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such run of this set', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getTestRun(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() runId: Uuid,
  ): Promise<TestRunDetail> {
    return this.services.testRuns.detail(principalOf(req).organizationId, id, runId);
  }

  /**
   * What changed since the set's previous completed run: newly failing and newly passing questions, with both replies.
   * @summary What changed since the previous run
   */
  @Get('{id}/runs/{runId}/changes')
  @Security('bearer', ['agent', 'test_sets:read'])
  @Response<ProblemDocument>(401, 'Missing or invalid credentials', undefined, PROBLEM)
  @Response<ProblemDocument>(403, 'Role or API-key scope too low', undefined, PROBLEM)
  @Response<ProblemDocument>(404, 'No such run of this set', undefined, PROBLEM)
  @Response<ProblemDocument>(422, 'Invalid id', undefined, PROBLEM)
  @Response<ProblemDocument>(429, 'Too many requests; see Retry-After', undefined, PROBLEM)
  @Response<ProblemDocument>(500, 'Unexpected error', undefined, PROBLEM)
  public async getTestRunChanges(
    @Request() req: ExRequest,
    @Path() id: Uuid,
    @Path() runId: Uuid,
  ): Promise<TestRunChanges> {
    return this.services.testRuns.changes(principalOf(req).organizationId, id, runId);
  }
}
