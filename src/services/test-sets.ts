import type { Knex } from 'knex';
import { UniqueViolationError } from 'objection';
import {
  Document,
  Message,
  TestQuestion,
  TestSet,
  TEST_EXPECTATIONS,
  type ExpectedDocument,
  type TestExpectation,
} from '../db/models';
import { problems, type FieldError } from '../lib/problem';
import { paginate, type Page, type PageParams } from '../lib/pagination';

/**
 * Test sets (#22): an organization's questions in its customers' words, each with what a right reply
 * must show. Written by hand or imported (CSV or JSON, all rows or none, every bad row named).
 */

/** Questions a set may hold: a run asks them all, one workflow history per run. */
export const MAX_QUESTIONS_PER_SET = 200;
export const MAX_QUESTION_CHARS = 2000;
export const MAX_SOURCES = 10;
export const MAX_PHRASES = 10;
export const MAX_PHRASE_CHARS = 200;

export interface TestSetView {
  id: string;
  name: string;
  description: string;
  createdAt: Date;
  updatedAt: Date;
}

export const toTestSetView = (s: TestSet): TestSetView => ({
  id: s.id,
  name: s.name,
  description: s.description,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

export interface TestQuestionView {
  id: string;
  testSetId: string;
  question: string;
  expectation: TestExpectation;
  /** Documents a right answer may cite (one is enough), with their titles when the question was written. */
  expectedDocuments: ExpectedDocument[];
  /** Phrases the reply must contain (case-insensitive). */
  requiredPhrases: string[];
  createdAt: Date;
  updatedAt: Date;
}

export const toTestQuestionView = (q: TestQuestion): TestQuestionView => ({
  id: q.id,
  testSetId: q.testSetId,
  question: q.question,
  expectation: q.expectation,
  expectedDocuments: q.expectedDocuments,
  requiredPhrases: q.requiredPhrases,
  createdAt: q.createdAt,
  updatedAt: q.updatedAt,
});

/** A question as written by hand or imported: sources are document ids or exact titles. */
export interface QuestionInput {
  question: string;
  expectation?: TestExpectation;
  /** Document ids or titles. */
  sources?: string[];
  phrases?: string[];
}

interface CleanQuestion {
  question: string;
  expectation: TestExpectation;
  expectedDocuments: ExpectedDocument[];
  requiredPhrases: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TestSetService {
  constructor(private readonly deps: { knex: Knex }) {}

  async create(organizationId: string, input: { name: string; description?: string }): Promise<TestSet> {
    const name = input.name.trim();
    if (!name) throw problems.validation([{ field: 'body.name', message: 'must not be blank' }]);
    try {
      return await TestSet.query(this.deps.knex)
        .forOrganization(organizationId)
        .insert({ name, description: input.description?.trim() ?? '' })
        .returning('*');
    } catch (error) {
      throw duplicateName(error);
    }
  }

  list(organizationId: string, params: PageParams): Promise<Page<TestSet>> {
    return paginate(TestSet.query(this.deps.knex).forOrganization(organizationId), 'test_sets', params, {
      createdAt: 'createdAt',
      name: 'name',
    });
  }

  async get(organizationId: string, id: string): Promise<TestSet> {
    const set = await TestSet.query(this.deps.knex).forOrganization(organizationId).findById(id);
    if (!set) throw problems.notFound('The test set');
    return set;
  }

  async update(
    organizationId: string,
    id: string,
    input: { name?: string; description?: string },
  ): Promise<TestSet> {
    await this.get(organizationId, id);
    const patch: Partial<Pick<TestSet, 'name' | 'description'>> = {};
    if (input.name !== undefined) {
      patch.name = input.name.trim();
      if (!patch.name) throw problems.validation([{ field: 'body.name', message: 'must not be blank' }]);
    }
    if (input.description !== undefined) patch.description = input.description.trim();
    try {
      if (Object.keys(patch).length > 0) {
        await TestSet.query(this.deps.knex).forOrganization(organizationId).patch(patch).where('id', id);
      }
    } catch (error) {
      throw duplicateName(error);
    }
    return this.get(organizationId, id);
  }

  /** Deletes the set with its questions and runs. */
  async delete(organizationId: string, id: string): Promise<void> {
    const deleted = await TestSet.query(this.deps.knex).forOrganization(organizationId).deleteById(id);
    if (deleted === 0) throw problems.notFound('The test set');
  }

  async questions(
    organizationId: string,
    testSetId: string,
    params: PageParams,
  ): Promise<Page<TestQuestion>> {
    await this.get(organizationId, testSetId);
    const query = TestQuestion.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId);
    // Oldest first by default: the order questions were written, and the order a run asks them.
    return paginate(query, 'test_questions', { ...params, sort: params.sort ?? 'createdAt' });
  }

  async question(organizationId: string, testSetId: string, id: string): Promise<TestQuestion> {
    const question = await TestQuestion.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId)
      .findById(id);
    if (!question) throw problems.notFound('The question');
    return question;
  }

  async addQuestion(organizationId: string, testSetId: string, input: QuestionInput): Promise<TestQuestion> {
    const [created] = await this.insert(organizationId, testSetId, [input], 'body');
    return created!;
  }

  /**
   * Promotes a real conversation turn to a question: the visitor's words, and what the assistant's
   * reply should be. `right`: what it did (an answer citing the same sources, an abstention or an
   * escalation); `wrong`: an answer citing `source` (a document id or title).
   */
  async promoteTurn(
    organizationId: string,
    testSetId: string,
    input: { messageId: string; verdict: 'right' | 'wrong'; source?: string },
  ): Promise<TestQuestion> {
    const reply = await Message.query(this.deps.knex)
      .forOrganization(organizationId)
      .findOne({ id: input.messageId, role: 'assistant' })
      .whereNotNull('replyToMessageId');
    const asked =
      reply &&
      (await Message.query(this.deps.knex).forOrganization(organizationId).findById(reply.replyToMessageId!));
    if (!reply || !asked) throw problems.notFound("The assistant's reply");
    if (input.verdict === 'wrong') {
      if (!input.source?.trim()) {
        throw problems.validation([
          { field: 'body.source', message: 'is required when the reply was wrong' },
        ]);
      }
      return this.addQuestion(organizationId, testSetId, {
        question: asked.content,
        sources: [input.source],
      });
    }
    const outcome = reply.outcome;
    if (outcome !== 'answer' && outcome !== 'abstain' && outcome !== 'escalate') {
      throw problems.conflict(`A reply that was ${outcome ?? 'not decided'} is not a test of the answers.`);
    }
    return this.addQuestion(organizationId, testSetId, {
      question: asked.content,
      expectation: outcome,
      sources: outcome === 'answer' ? [...new Set(reply.citations.map((c) => c.documentId))] : [],
    });
  }

  async updateQuestion(
    organizationId: string,
    testSetId: string,
    id: string,
    input: Partial<QuestionInput>,
  ): Promise<TestQuestion> {
    const current = await this.question(organizationId, testSetId, id);
    const merged: QuestionInput = {
      question: input.question ?? current.question,
      expectation: input.expectation ?? current.expectation,
      sources: input.sources ?? current.expectedDocuments.map((d) => d.documentId),
      phrases: input.phrases ?? current.requiredPhrases,
    };
    const documents = await this.documentsOf(organizationId, [merged]);
    const { clean, errors } = validateQuestion(merged, 'body', documents, current.expectedDocuments);
    if (errors.length > 0) throw problems.validation(errors);
    await TestQuestion.query(this.deps.knex).forOrganization(organizationId).patch(clean!).where('id', id);
    return this.question(organizationId, testSetId, id);
  }

  async deleteQuestion(organizationId: string, testSetId: string, id: string): Promise<void> {
    const deleted = await TestQuestion.query(this.deps.knex)
      .forOrganization(organizationId)
      .where('testSetId', testSetId)
      .deleteById(id);
    if (deleted === 0) throw problems.notFound('The question');
  }

  /**
   * Imports questions from CSV (a header row naming `question`, and optionally `expectation`,
   * `sources` and `phrases`, lists separated by `|`) or JSON (an array of question objects). All rows
   * are added or none; each bad row is named (`body.rows[3].expectation`, rows counted from 1).
   */
  async import(
    organizationId: string,
    testSetId: string,
    input: { format: 'csv' | 'json'; content: string },
  ): Promise<TestQuestion[]> {
    const rows = input.format === 'csv' ? parseCsvRows(input.content) : parseJsonRows(input.content);
    if (rows.length === 0) {
      throw problems.validation([{ field: 'body.content', message: 'holds no questions' }]);
    }
    return this.insert(organizationId, testSetId, rows, 'body.rows');
  }

  private async insert(
    organizationId: string,
    testSetId: string,
    inputs: QuestionInput[],
    field: 'body' | 'body.rows',
  ): Promise<TestQuestion[]> {
    return this.deps.knex.transaction(async (trx) => {
      // The set's row is locked, so two imports cannot both pass the limit.
      const set = await TestSet.query(trx).forOrganization(organizationId).findById(testSetId).forUpdate();
      if (!set) throw problems.notFound('The test set');
      const documents = await this.documentsOf(organizationId, inputs, trx);
      const clean: CleanQuestion[] = [];
      const errors: FieldError[] = [];
      inputs.forEach((input, i) => {
        const at = field === 'body' ? 'body' : `body.rows[${i + 1}]`;
        const checked = validateQuestion(input, at, documents);
        errors.push(...checked.errors);
        if (checked.clean) clean.push(checked.clean);
      });
      if (errors.length > 0) throw problems.validation(errors);
      const existing = await TestQuestion.query(trx)
        .forOrganization(organizationId)
        .where('testSetId', testSetId)
        .resultSize();
      if (existing + clean.length > MAX_QUESTIONS_PER_SET) {
        throw problems.validation(
          [
            {
              field: field === 'body' ? 'body' : 'body.content',
              message: `would bring the set to ${existing + clean.length} questions; a set holds at most ${MAX_QUESTIONS_PER_SET}`,
            },
          ],
          `A test set holds at most ${MAX_QUESTIONS_PER_SET} questions.`,
        );
      }
      const created: TestQuestion[] = [];
      for (const question of clean) {
        created.push(
          await TestQuestion.query(trx)
            .forOrganization(organizationId)
            .insert({ testSetId, ...question })
            .returning('*'),
        );
      }
      await TestSet.query(trx).forOrganization(organizationId).patch({}).where('id', testSetId);
      return created;
    });
  }

  /** The organization's documents named by the inputs' sources (ids or titles). */
  private async documentsOf(
    organizationId: string,
    inputs: QuestionInput[],
    db: Knex | Knex.Transaction = this.deps.knex,
  ): Promise<Map<string, ExpectedDocument[]>> {
    const names = [...new Set(inputs.flatMap((i) => (Array.isArray(i.sources) ? i.sources : [])))].filter(
      (s): s is string => typeof s === 'string' && s.trim() !== '',
    );
    const byKey = new Map<string, ExpectedDocument[]>();
    if (names.length === 0) return byKey;
    const ids = names.filter((n) => UUID.test(n.trim())).map((n) => n.trim().toLowerCase());
    const titles = names.map((n) => n.trim().toLowerCase());
    const found = await Document.query(db)
      .forOrganization(organizationId)
      .where((q) => {
        if (ids.length > 0) q.whereIn('id', ids);
        q.orWhereRaw('lower(title) = any(?)', [titles]);
      })
      .select('id', 'title');
    for (const d of found) {
      for (const key of [d.id.toLowerCase(), d.title.trim().toLowerCase()]) {
        const list = byKey.get(key) ?? [];
        if (!list.some((e) => e.documentId === d.id)) list.push({ documentId: d.id, title: d.title });
        byKey.set(key, list);
      }
    }
    return byKey;
  }
}

function duplicateName(error: unknown): unknown {
  if (error instanceof UniqueViolationError) {
    return problems.conflict('A test set with this name already exists.');
  }
  return error;
}

/**
 * Checks one question and resolves its sources. `kept` are the question's current sources: one
 * deleted since it was written may stay on it (a run reports it) but cannot be added anew.
 */
function validateQuestion(
  input: QuestionInput,
  at: string,
  documents: Map<string, ExpectedDocument[]>,
  kept: ExpectedDocument[] = [],
): { clean?: CleanQuestion; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { errors: [{ field: at, message: 'must be an object with a question' }] };
  }
  const question = typeof input.question === 'string' ? input.question.trim() : '';
  if (!question) errors.push({ field: `${at}.question`, message: 'is required' });
  else if (question.length > MAX_QUESTION_CHARS) {
    errors.push({ field: `${at}.question`, message: `is longer than ${MAX_QUESTION_CHARS} characters` });
  }
  const expectation = input.expectation ?? 'answer';
  if (!TEST_EXPECTATIONS.includes(expectation)) {
    errors.push({ field: `${at}.expectation`, message: `must be one of ${TEST_EXPECTATIONS.join(', ')}` });
  }
  const sources = input.sources ?? [];
  const phrases = input.phrases ?? [];
  const expectedDocuments: ExpectedDocument[] = [];
  if (!Array.isArray(sources) || sources.some((s) => typeof s !== 'string')) {
    errors.push({ field: `${at}.sources`, message: 'must be a list of document ids or titles' });
  } else if (sources.length > MAX_SOURCES) {
    errors.push({ field: `${at}.sources`, message: `names more than ${MAX_SOURCES} documents` });
  } else {
    for (const source of sources.map((s) => s.trim()).filter(Boolean)) {
      const keptOne = kept.find((d) => d.documentId === source);
      const matches = keptOne ? [keptOne] : (documents.get(source.toLowerCase()) ?? []);
      if (matches.length === 0) {
        errors.push({ field: `${at}.sources`, message: `no document with the id or title "${source}"` });
      } else if (matches.length > 1) {
        errors.push({
          field: `${at}.sources`,
          message: `${matches.length} documents are titled "${source}"; name one by its id`,
        });
      } else if (!expectedDocuments.some((d) => d.documentId === matches[0]!.documentId)) {
        expectedDocuments.push(matches[0]!);
      }
    }
  }
  const requiredPhrases: string[] = [];
  if (!Array.isArray(phrases) || phrases.some((p) => typeof p !== 'string')) {
    errors.push({ field: `${at}.phrases`, message: 'must be a list of phrases' });
  } else if (phrases.length > MAX_PHRASES) {
    errors.push({ field: `${at}.phrases`, message: `holds more than ${MAX_PHRASES} phrases` });
  } else {
    for (const phrase of phrases.map((p) => p.trim()).filter(Boolean)) {
      if (phrase.length > MAX_PHRASE_CHARS) {
        errors.push({
          field: `${at}.phrases`,
          message: `"${phrase.slice(0, 40)}…" is longer than ${MAX_PHRASE_CHARS} characters`,
        });
      } else requiredPhrases.push(phrase);
    }
  }
  if (expectation !== 'answer' && (expectedDocuments.length > 0 || requiredPhrases.length > 0)) {
    errors.push({
      field: `${at}.expectation`,
      message: `a question that must ${expectation} names no sources or phrases`,
    });
  }
  if (errors.length > 0) return { errors };
  return { clean: { question, expectation, expectedDocuments, requiredPhrases }, errors };
}

const listOf = (cell: string | undefined): string[] =>
  (cell ?? '')
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);

/** CSV rows (RFC 4180: quoted fields, doubled quotes, CRLF or LF) with a header naming the columns. */
function parseCsvRows(content: string): QuestionInput[] {
  const records = parseCsv(content.replace(/^\uFEFF/, '')).filter((r) => r.some((c) => c.trim() !== ''));
  const header = records.shift()?.map((h) => h.trim().toLowerCase()) ?? [];
  const column = (name: string) => header.indexOf(name);
  if (column('question') < 0) {
    throw problems.validation([
      { field: 'body.content', message: 'the header row must name a "question" column' },
    ]);
  }
  const unknown = header.filter((h) => !['question', 'expectation', 'sources', 'phrases'].includes(h));
  if (unknown.length > 0) {
    throw problems.validation([
      {
        field: 'body.content',
        message: `unknown columns: ${unknown.join(', ')} (question, expectation, sources, phrases)`,
      },
    ]);
  }
  return records.map((record) => {
    const cell = (name: string) => (column(name) >= 0 ? record[column(name)] : undefined);
    const expectation = cell('expectation')?.trim().toLowerCase();
    return {
      question: cell('question') ?? '',
      expectation: (expectation || undefined) as TestExpectation | undefined,
      sources: listOf(cell('sources')),
      phrases: listOf(cell('phrases')),
    };
  });
}

function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
    } else field += c;
  }
  if (quoted) {
    throw problems.validation([{ field: 'body.content', message: 'a quoted field is not closed' }]);
  }
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

function parseJsonRows(content: string): QuestionInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    throw problems.validation([{ field: 'body.content', message: 'is not valid JSON' }]);
  }
  if (!Array.isArray(parsed)) {
    throw problems.validation([{ field: 'body.content', message: 'must be a JSON array of questions' }]);
  }
  return parsed as QuestionInput[];
}
