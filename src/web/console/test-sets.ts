import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { servicesOf } from '../../api/services';
import type { TestQuestion, TestResult, TestRun, TestSet } from '../../db/models';
import { MAX_QUESTIONS_PER_SET } from '../../services/test-sets';
import {
  passRate,
  type PassRatePoint,
  type TestResultChange,
  type TestRunChanges,
} from '../../services/test-runs';
import {
  errorSummary,
  input,
  lines,
  option,
  problemFieldErrors,
  raw,
  text,
  textarea,
  type FieldErrors,
} from '../forms';
import { classes, html, jsonForScript, type SafeHtml } from '../html';
import { HttpProblem, problems } from '../../lib/problem';
import { contextOf, csrfField, sendPage, timeTag, wantsFragment, type PageContext } from '../layout';
import { consoleUser, idParam, requireRole } from './request';
import { isUuid } from '../../lib/uuid';
import { temporalRunUrl } from './temporal-link';

/**
 * Answer tests (#22): the organization's test sets; on a set's page its pass rate over time, the last
 * run's results (each failure linked to its workflow in the Temporal UI), what changed since the run
 * before, the questions (add, edit, delete, import) and the button that runs them. A running run's
 * panel polls itself until the run completes.
 */

const percent = (rate: number | null): string => (rate === null ? '—' : `${Math.round(rate * 100)}%`);

const STATUS_LABELS: Record<string, string> = {
  passed: 'passed',
  failed: 'failed',
  document_missing: 'document deleted',
};
const STATUS_CLASSES: Record<string, string> = {
  passed: 'status-ready',
  failed: 'status-failed',
  document_missing: 'status-pending',
};

function statusBadge(status: string): SafeHtml {
  return html`<span class="${classes('badge', STATUS_CLASSES[status])}"
    >${STATUS_LABELS[status] ?? status}</span
  >`;
}

/** How a question's expectation reads in a table. */
function expectationText(
  q: Pick<TestQuestion, 'expectation' | 'expectedDocuments' | 'requiredPhrases'>,
): SafeHtml {
  if (q.expectation !== 'answer') return html`must ${q.expectation}`;
  return html`answers${
    q.expectedDocuments.length
      ? html`, citing ${q.expectedDocuments.map((d, i) => html`${i ? ' or ' : ''}<em>${d.title}</em>`)}`
      : ''
  }${q.requiredPhrases.length ? html`, containing ${q.requiredPhrases.map((p, i) => html`${i ? ', ' : ''}“${p}”`)}` : ''}`;
}

function passRateChart(history: PassRatePoint[]): SafeHtml {
  if (history.length === 0) return html`<p class="empty">No completed run yet.</p>`;
  const spec = {
    type: 'line',
    labels: history.map((p) => p.finishedAt.toISOString().slice(5, 16).replace('T', ' ')),
    datasets: [
      {
        label: 'Pass rate (%)',
        data: history.map((p) => (p.passRate === null ? null : Math.round(p.passRate * 1000) / 10)),
        borderColor: '#4338ca',
        backgroundColor: '#4338ca',
      },
    ],
    suggestedMax: 100,
  };
  const last = history[history.length - 1]!;
  return html`<div class="chart-box">
      <canvas
        data-chart="pass-rate-data"
        role="img"
        aria-labelledby="pass-rate-title"
        aria-describedby="pass-rate-summary"
      ></canvas>
    </div>
    <p class="visually-hidden" id="pass-rate-summary">
      ${history.length} completed runs; the last passed ${percent(last.passRate)}.
    </p>
    <script type="application/json" id="pass-rate-data">
      ${jsonForScript(spec)}
    </script>`;
}

function resultReply(result: Pick<TestResult, 'outcome' | 'reply' | 'citations'>): SafeHtml {
  return html`<p class="small muted">${result.outcome}</p>
    <p>${result.reply}</p>
    ${result.citations.length ? html`<p class="small muted">Cites ${result.citations.map((c, i) => html`${i ? ', ' : ''}${c.title}`)}</p>` : ''}`;
}

function resultsTable(config: TemporalConfig, run: TestRun, results: TestResult[]): SafeHtml {
  if (results.length === 0) return html`<p class="empty">No question answered yet.</p>`;
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        Results of the run
      </caption>
      <thead>
        <tr>
          <th scope="col">Question</th>
          <th scope="col">Result</th>
          <th scope="col">Expected source rank</th>
          <th scope="col">Reply</th>
        </tr>
      </thead>
      <tbody>
        ${results.map(
          (r) =>
            html`<tr data-result="${r.status}">
              <td>${r.question}</td>
              <td>
                ${statusBadge(r.status)}
                ${
                  r.failures.length
                    ? html`<ul class="small">
                        ${r.failures.map((f) => html`<li>${f}</li>`)}
                      </ul>`
                    : ''
                }
                ${r.decisionReasons.length ? html`<p class="small muted">Why: ${r.decisionReasons.join('; ')}</p>` : ''}
                ${r.status !== 'passed' ? html`<p class="small"><a href="${runLink(config, run)}" target="_blank" rel="noopener noreferrer">The run in the Temporal UI</a></p>` : ''}
                ${
                  r.retrievalTrace
                    ? html`<details class="small">
                        <summary>Retrieval trace</summary>
                        <ol>
                          ${r.retrievalTrace.hits.map((h) => html`<li><code>${h.documentId}</code> ${h.score.toFixed(3)}</li>`)}
                        </ol>
                        ${
                          r.retrievalTrace.confidence != null
                            ? html`<p>Confidence ${r.retrievalTrace.confidence.toFixed(2)}</p>`
                            : ''
                        }
                      </details>`
                    : ''
                }
              </td>
              <td>${r.expectedRank ?? '—'}</td>
              <td>${resultReply(r)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

type TemporalConfig = Parameters<typeof temporalRunUrl>[0];
/** The run's page in the Temporal UI: its workflow, at this run. */
const runLink = (config: TemporalConfig, run: TestRun): string =>
  `${temporalRunUrl(config, run.workflowId)}/${encodeURIComponent(run.id)}`;

function changeRows(title: string, changes: TestResultChange[]): SafeHtml | '' {
  if (changes.length === 0) return '';
  return html`<h3>${title}</h3>
    ${changes.map(
      (c) =>
        html`<article class="card" data-change>
          <h4>${c.question}</h4>
          <div class="grid-2">
            <div>
              <p class="small muted">Before ${statusBadge(c.before.status)}</p>
              ${resultReply(c.before)}
            </div>
            <div>
              <p class="small muted">Now ${statusBadge(c.after.status)}</p>
              ${resultReply(c.after)}
            </div>
          </div>
        </article>`,
    )}`;
}

function changesSection(changes: TestRunChanges | null): SafeHtml | '' {
  if (!changes || !changes.previousRunId) return '';
  const none = changes.newlyFailing.length + changes.newlyPassing.length === 0;
  return html`<section class="card" aria-labelledby="changes-title">
    <h2 id="changes-title">What changed since the run before</h2>
    ${none ? html`<p class="muted">No question changed.</p>` : ''}
    ${changeRows('Newly failing', changes.newlyFailing)} ${changeRows('Newly passing', changes.newlyPassing)}
  </section>`;
}

/** The last run: its figures and results; while it runs, the panel polls itself. */
async function runPanel(req: Request, res: Response, set: TestSet): Promise<SafeHtml> {
  const { testRuns, config } = servicesOf(req);
  const { organizationId } = consoleUser(res).principal;
  const run = await testRuns.latest(organizationId, set.id);
  if (!run)
    return html`<section id="last-run" class="card">
      <h2>Last run</h2>
      <p class="empty">Not run yet.</p>
    </section>`;
  const results = await testRuns.results(organizationId, run.id);
  const running = run.status === 'running';
  const changes = running ? null : await testRuns.changes(organizationId, set.id, run.id);
  return html`<div
    id="last-run"
    data-run-status="${run.status}"
    ${running ? html`hx-get="/console/test-sets/${set.id}/last-run" hx-trigger="every 1s" hx-swap="outerHTML"` : ''}
  >
    <section class="card" aria-labelledby="last-run-title">
      <h2 id="last-run-title">Last run</h2>
      <p>
        ${running ? html`<span class="badge status-processing">running</span> ${results.length} of ${run.questionCount} questions answered` : html`Pass rate <strong data-pass-rate>${percent(passRate(run))}</strong>: ${run.passed} passed, ${run.failed} failed${run.missingDocuments ? `, ${run.missingDocuments} with a deleted document` : ''}`}
        · ${run.trigger === 'manual' ? 'started by hand' : 'after a knowledge change'}
        ${timeTag(run.createdAt)} ·
        <a href="${runLink(config, run)}" target="_blank" rel="noopener noreferrer">workflow</a>
      </p>
      ${resultsTable(config, run, results)}
    </section>
    ${changesSection(changes)}
  </div>`;
}

/**
 * "Add to an answer test" under an assistant's reply in a conversation: the visitor's question goes
 * to a set, with the reply judged right (expect the same) or wrong (the right source is …).
 */
export function promoteForm(messageId: string, sets: Pick<TestSet, 'id' | 'name'>[]): SafeHtml {
  const id = `promote-${messageId}`;
  return html`<details class="small promote">
    <summary>Add to an answer test</summary>
    <form
      hx-post="/console/test-sets/from-turn"
      hx-swap="outerHTML"
      method="post"
      action="/console/test-sets/from-turn"
    >
      <input type="hidden" name="messageId" value="${messageId}" />
      <div class="field">
        <label for="${id}-set">Test set</label>
        <select id="${id}-set" name="setId">
          ${sets.map((set) => option(set.id, set.name, undefined))}
        </select>
      </div>
      <fieldset class="choices">
        <legend>This reply</legend>
        <label><input type="radio" name="verdict" value="right" checked /> was right</label>
        <label><input type="radio" name="verdict" value="wrong" /> was wrong; the right source is:</label>
      </fieldset>
      ${input({ name: 'source', id: `${id}-source`, label: 'Right source (title or id)' })}
      <button type="submit" class="button secondary">Add the question</button>
    </form>
  </details>`;
}

interface QuestionDraft {
  question: string;
  expectation: string;
  sources: string;
  phrases: string;
  errors: FieldErrors;
}

const emptyDraft = (): QuestionDraft => ({
  question: '',
  expectation: 'answer',
  sources: '',
  phrases: '',
  errors: {},
});

function questionFields(draft: QuestionDraft, idPrefix: string): SafeHtml {
  return html`${input({ name: 'question', id: `${idPrefix}-question`, label: 'Question', value: draft.question, errors: draft.errors, required: true, hint: "In your customers' words." })}
    <div class="field">
      <label for="${idPrefix}-expectation">A right reply</label>
      <select id="${idPrefix}-expectation" name="expectation">
        ${option('answer', 'answers', draft.expectation)}
        ${option('abstain', 'says the documents do not cover it', draft.expectation)}
        ${option('escalate', 'hands over to a person', draft.expectation)}
      </select>
      ${draft.errors.expectation ? html`<p class="error">A right reply ${draft.errors.expectation}.</p>` : ''}
    </div>
    ${textarea({ name: 'sources', id: `${idPrefix}-sources`, label: 'Expected sources', value: draft.sources, errors: draft.errors, rows: 2, hint: 'Document titles or ids, one per line; citing one of them is enough.' })}
    ${textarea({ name: 'phrases', id: `${idPrefix}-phrases`, label: 'Phrases the reply must contain', value: draft.phrases, errors: draft.errors, rows: 2, hint: 'One per line.' })}`;
}

function questionRows(
  ctx: PageContext,
  set: TestSet,
  questions: TestQuestion[],
  canWrite: boolean,
): SafeHtml {
  if (questions.length === 0)
    return html`<p class="empty">No questions yet: add one below or import a file.</p>`;
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        Questions
      </caption>
      <thead>
        <tr>
          <th scope="col">Question</th>
          <th scope="col">A right reply</th>
          ${canWrite ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${questions.map(
          (q) =>
            html`<tr>
              <td>${q.question}</td>
              <td>${expectationText(q)}</td>
              ${
                canWrite
                  ? html`<td>
                      <details>
                        <summary>Edit</summary>
                        <form method="post" action="/console/test-sets/${set.id}/questions/${q.id}">
                          ${csrfField(ctx)}
                          ${questionFields(
                            {
                              question: q.question,
                              expectation: q.expectation,
                              sources: q.expectedDocuments.map((d) => d.documentId).join('\n'),
                              phrases: q.requiredPhrases.join('\n'),
                              errors: {},
                            },
                            `q-${q.id}`,
                          )}
                          <button type="submit" class="button secondary">Save</button>
                        </form>
                      </details>
                      <form method="post" action="/console/test-sets/${set.id}/questions/${q.id}/delete">
                        ${csrfField(ctx)}
                        <button type="submit" class="link-button">Delete</button>
                      </form>
                    </td>`
                  : ''
              }
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

interface SetPageState {
  draft?: QuestionDraft;
  importErrors?: FieldErrors;
  importText?: string;
  general?: string;
}

async function setPage(req: Request, res: Response, state: SetPageState = {}): Promise<void> {
  const { testSets, testRuns } = servicesOf(req);
  const { principal } = consoleUser(res);
  const set = await testSets.get(principal.organizationId, idParam(req));
  const [questions, history] = await Promise.all([
    testSets.questions(principal.organizationId, set.id, { limit: 100 }),
    testRuns.history(principal.organizationId, set.id),
  ]);
  // The list shows every question: a set holds at most 200, two pages of the service's.
  const all = [...questions.items];
  for (let cursor = questions.nextCursor; cursor;) {
    const next = await testSets.questions(principal.organizationId, set.id, { limit: 100, cursor });
    all.push(...next.items);
    cursor = next.nextCursor;
  }
  const ctx = contextOf(req, res);
  const canWrite = hasRole(principal.role, 'admin');
  const draft = state.draft ?? emptyDraft();
  const invalid = state.draft !== undefined || state.importErrors !== undefined;
  sendPage(req, res, {
    title: set.name,
    status: invalid ? 422 : 200,
    main: html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/console/test-sets">Answer tests</a>
      </nav>
      <div class="page-header">
        <h1>${set.name}</h1>
        ${
          canWrite
            ? html`<form method="post" action="/console/test-sets/${set.id}/runs">
                ${csrfField(ctx)}
                <button type="submit" class="button" ${all.length === 0 ? html`disabled` : ''}>
                  Run now
                </button>
              </form>`
            : ''
        }
      </div>
      ${set.description ? html`<p class="muted">${set.description}</p>` : ''}
      ${state.general ? html`<div class="alert alert-error" role="alert">${state.general}</div>` : ''}
      <section class="card chart-card" aria-labelledby="pass-rate-title">
        <h2 id="pass-rate-title">Pass rate over time</h2>
        ${passRateChart(history)}
      </section>
      ${await runPanel(req, res, set)}
      <section class="card" aria-labelledby="questions-title">
        <h2 id="questions-title">Questions (${all.length} of at most ${MAX_QUESTIONS_PER_SET})</h2>
        ${questionRows(ctx, set, all, canWrite)}
      </section>
      ${
        canWrite
          ? html`<div class="grid-2">
              <section class="card" aria-labelledby="add-title">
                <h2 id="add-title">Add a question</h2>
                ${errorSummary(state.draft?.errors ?? {})}
                <form method="post" action="/console/test-sets/${set.id}/questions" novalidate>
                  ${csrfField(ctx)} ${questionFields(draft, 'new')}
                  <button type="submit" class="button">Add the question</button>
                </form>
              </section>
              <section class="card" aria-labelledby="import-title">
                <h2 id="import-title">Import questions</h2>
                ${errorSummary(state.importErrors ?? {}, state.importErrors ? 'Nothing was imported: correct the rows below.' : undefined)}
                ${
                  state.importErrors
                    ? html`<ul class="error" data-import-errors>
                        ${Object.entries(state.importErrors).map(([field, message]) => html`<li>${field.replace(/^rows\[(\d+)\]\.?/, 'row $1 ')}: ${message}</li>`)}
                      </ul>`
                    : ''
                }
                <form
                  method="post"
                  action="/console/test-sets/${set.id}/import"
                  enctype="multipart/form-data"
                  novalidate
                >
                  ${csrfField(ctx)}
                  <div class="field">
                    <label for="f-import-file">A CSV or JSON file</label>
                    <p class="hint" id="f-import-file-hint">
                      CSV: a header row with <code>question</code> and optionally <code>expectation</code>,
                      <code>sources</code>, <code>phrases</code> (lists separated by <code>|</code>). JSON: an
                      array of <code>{"question", "expectation", "sources", "phrases"}</code>.
                    </p>
                    <input
                      id="f-import-file"
                      name="file"
                      type="file"
                      accept=".csv,.json,text/csv,application/json"
                      aria-describedby="f-import-file-hint"
                    />
                  </div>
                  ${textarea({ name: 'content', id: 'f-import-content', label: 'Or paste it', value: state.importText ?? '', rows: 5 })}
                  <button type="submit" class="button secondary">Import</button>
                </form>
              </section>
            </div>`
          : ''
      }
      <script src="/assets/chart.umd.min.js" defer></script>`,
  });
}

async function listPage(req: Request, res: Response, errors: FieldErrors = {}, name = ''): Promise<void> {
  const { principal } = consoleUser(res);
  const { testSets, testRuns } = servicesOf(req);
  const page = await testSets.list(principal.organizationId, { limit: 100, sort: 'name' });
  const latest = await Promise.all(page.items.map((s) => testRuns.latest(principal.organizationId, s.id)));
  const ctx = contextOf(req, res);
  const canWrite = hasRole(principal.role, 'admin');
  sendPage(req, res, {
    title: 'Answer tests',
    status: Object.keys(errors).length ? 422 : 200,
    main: html`<div class="page-header"><h1>Answer tests</h1></div>
      <p class="muted">
        Questions in your customers' words with what a right reply does. Each set runs through the same path
        as the widget's answers, when you ask and after every change to your documents.
      </p>
      ${
        page.items.length === 0
          ? html`<p class="empty">No test sets yet.</p>`
          : html`<div class="table-wrap">
              <table>
                <caption class="visually-hidden">
                  Test sets
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Set</th>
                    <th scope="col">Last pass rate</th>
                    <th scope="col">Last run</th>
                  </tr>
                </thead>
                <tbody>
                  ${page.items.map((s, i) => {
                    const run = latest[i];
                    return html`<tr>
                      <td><a href="/console/test-sets/${s.id}">${s.name}</a></td>
                      <td>${run ? (run.status === 'running' ? 'running' : percent(passRate(run))) : '—'}</td>
                      <td>${run ? timeTag(run.createdAt) : 'never'}</td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </div>`
      }
      ${
        canWrite
          ? html`<section class="card" aria-labelledby="new-set-title">
              <h2 id="new-set-title">New test set</h2>
              ${errorSummary(errors)}
              <form method="post" action="/console/test-sets" novalidate>
                ${csrfField(ctx)}
                ${input({ name: 'name', label: 'Name', value: name, errors, required: true })}
                <button type="submit" class="button">Create</button>
              </form>
            </section>`
          : ''
      }`,
  });
}

function draftOf(body: unknown): QuestionDraft {
  return {
    question: text(body, 'question'),
    expectation: text(body, 'expectation') || 'answer',
    sources: raw(body, 'sources'),
    phrases: raw(body, 'phrases'),
    errors: {},
  };
}

const questionInput = (draft: QuestionDraft) => ({
  question: draft.question,
  expectation: draft.expectation as TestQuestion['expectation'],
  sources: lines(draft.sources),
  phrases: lines(draft.phrases),
});

export function testSetsRouter(): Router {
  const router = Router();

  router.get('/test-sets', (req, res) => listPage(req, res));

  router.post('/test-sets', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const name = text(req.body, 'name');
    try {
      const set = await servicesOf(req).testSets.create(consoleUser(res).principal.organizationId, { name });
      res.redirect(303, `/console/test-sets/${set.id}`);
    } catch (error) {
      const errors = problemFieldErrors(error);
      if (errors) return listPage(req, res, errors, name);
      if (error instanceof HttpProblem && error.slug === 'conflict') {
        return listPage(req, res, { name: 'is taken by another set' }, name);
      }
      throw error;
    }
  });

  router.post('/test-sets/from-turn', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const setId = text(req.body, 'setId');
    const messageId = text(req.body, 'messageId');
    // Ids that are not UUIDs name nothing.
    if (!isUuid(setId) || !isUuid(messageId)) throw problems.notFound('The test set or the reply');
    const { organizationId } = consoleUser(res).principal;
    const { testSets } = servicesOf(req);
    const set = await testSets.get(organizationId, setId);
    try {
      await testSets.promoteTurn(organizationId, set.id, {
        messageId,
        verdict: text(req.body, 'verdict') === 'wrong' ? 'wrong' : 'right',
        source: text(req.body, 'source') || undefined,
      });
    } catch (error) {
      const errors = problemFieldErrors(error);
      if (!errors && !(error instanceof HttpProblem && error.slug === 'conflict')) throw error;
      const message = errors ? Object.values(errors).join('; ') : (error as HttpProblem).message;
      res
        .status(errors ? 422 : 409)
        .vary('HX-Request')
        .type('html');
      res.send(html`<p class="error" role="alert">Not added: ${message}.</p>`.toString());
      return;
    }
    if (!wantsFragment(req)) {
      res.redirect(303, `/console/test-sets/${set.id}`);
      return;
    }
    res
      .vary('HX-Request')
      .type('html')
      .send(
        html`<p role="status">
          Added to <a href="/console/test-sets/${set.id}">${set.name}</a>.
        </p>`.toString(),
      );
  });

  router.get('/test-sets/:id', (req, res) => setPage(req, res));

  router.get('/test-sets/:id/last-run', async (req: Request, res: Response) => {
    const set = await servicesOf(req).testSets.get(consoleUser(res).principal.organizationId, idParam(req));
    if (!wantsFragment(req)) {
      res.redirect(303, `/console/test-sets/${set.id}`);
      return;
    }
    res
      .vary('HX-Request')
      .type('html')
      .send((await runPanel(req, res, set)).toString());
  });

  router.post('/test-sets/:id/questions', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const draft = draftOf(req.body);
    try {
      await servicesOf(req).testSets.addQuestion(
        consoleUser(res).principal.organizationId,
        idParam(req),
        questionInput(draft),
      );
      res.redirect(303, `/console/test-sets/${idParam(req)}`);
    } catch (error) {
      const errors = problemFieldErrors(error);
      if (!errors) throw error;
      // An error of the whole question (the set is full) has no field to sit by.
      const { '': whole, ...fields } = errors;
      await setPage(req, res, {
        draft: { ...draft, errors: fields },
        general: whole ? `The question was not added: it ${whole}.` : undefined,
      });
    }
  });

  router.post('/test-sets/:id/questions/:questionId', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    try {
      await servicesOf(req).testSets.updateQuestion(
        consoleUser(res).principal.organizationId,
        idParam(req),
        idParam(req, 'questionId'),
        questionInput(draftOf(req.body)),
      );
      res.redirect(303, `/console/test-sets/${idParam(req)}`);
    } catch (error) {
      const errors = problemFieldErrors(error);
      if (!errors) throw error;
      await setPage(req, res, {
        general: `The question was not saved: ${Object.entries(errors)
          .map(([f, m]) => `${f} ${m}`)
          .join('; ')}.`,
      });
    }
  });

  router.post('/test-sets/:id/questions/:questionId/delete', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await servicesOf(req).testSets.deleteQuestion(
      consoleUser(res).principal.organizationId,
      idParam(req),
      idParam(req, 'questionId'),
    );
    res.redirect(303, `/console/test-sets/${idParam(req)}`);
  });

  router.post('/test-sets/:id/import', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const file = req.file;
    const content = file ? file.buffer.toString('utf8') : raw(req.body, 'content');
    // A file says its format by its name; pasted text by its first character.
    const format = (file ? /\.json$/i.test(file.originalname) : content.trimStart().startsWith('['))
      ? 'json'
      : 'csv';
    try {
      await servicesOf(req).testSets.import(consoleUser(res).principal.organizationId, idParam(req), {
        format,
        content,
      });
      res.redirect(303, `/console/test-sets/${idParam(req)}`);
    } catch (error) {
      const errors = problemFieldErrors(error);
      if (!errors) throw error;
      await setPage(req, res, { importErrors: errors, importText: file ? '' : content });
    }
  });

  router.post('/test-sets/:id/runs', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    await servicesOf(req).testRuns.start(consoleUser(res).principal.organizationId, idParam(req));
    res.redirect(303, `/console/test-sets/${idParam(req)}`);
  });

  return router;
}
