import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { HttpProblem } from '../../lib/problem';
import { servicesOf } from '../../api/services';
import type { Page } from '../../lib/pagination';
import {
  DOCUMENT_STATUSES,
  DOCUMENT_VISIBILITIES,
  type Document,
  type DocumentStatus,
  type DocumentVisibility,
} from '../../db/models';
import { articlePath } from '../../domain/articles';
import type { DocumentVersion } from '../../services/documents';
import { ingestWorkflowId } from '../../workflows/contracts';
import {
  option,
  errorSummary,
  input,
  problemFieldErrors,
  text,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { classes, html, safeUrl, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, timeTag, wantsFragment, type PageContext } from '../layout';
import { consoleActor, consoleUser, idParam, requireRole } from './request';
import { temporalRunLink } from './temporal-link';

/**
 * The knowledge base: upload (drag and drop), add a page or sitemap, watch each ingestion's progress
 * (a fragment that polls itself until the workflow reports ready or failed), make public or internal,
 * re-sync, delete.
 * Every action goes through the same DocumentService as the REST API.
 */

const STAGE_LABELS: Record<string, string> = {
  fetching: 'Reading the source',
  embedding: 'Embedding passages',
  indexing: 'Indexing',
  pages: 'Ingesting pages',
  ready: 'Ready',
  unchanged: 'Unchanged',
  failed: 'Failed',
  waiting: 'Waiting',
};

const active = (status: DocumentStatus): boolean => status === 'pending' || status === 'processing';

/**
 * The status: a progress bar. On the detail page it polls itself while the ingestion runs; in the
 * list the whole row polls (so version and sync time update when it finishes).
 */
export function progressCell(document: Document, poll = true): SafeHtml {
  const { chunksDone = 0, chunksTotal = 0, stage } = document.progress ?? {};
  const running = active(document.status);
  const percent = chunksTotal > 0 ? Math.min(100, Math.round((chunksDone / chunksTotal) * 100)) : 0;
  const label = running ? (stage ? (STAGE_LABELS[stage] ?? stage) : 'Queued') : document.status;
  return html`<div
    class="progress-cell"
    id="progress-${document.id}"
    data-status="${document.status}"
    ${
      running && poll
        ? html`hx-get="/console/documents/${document.id}/progress" hx-trigger="every 1s" hx-swap="outerHTML"`
        : ''
    }
  >
    <span class="${classes('badge', `status-${document.status}`)}">${label}</span>
    ${
      running
        ? html`<progress max="100" value="${percent}" aria-label="Ingestion progress of ${document.title}">
              ${percent}%
            </progress>
            <span class="muted small">${chunksTotal ? `${chunksDone} / ${chunksTotal}` : ''}</span>`
        : ''
    }
    ${
      document.status === 'failed' && document.error
        ? html`<p class="error small" role="alert">${document.error}</p>`
        : ''
    }
  </div>`;
}

function documentRows(ctx: PageContext, documents: Document[], canWrite: boolean): SafeHtml {
  if (documents.length === 0) {
    return html`<p class="empty">No documents yet. Upload your help-centre articles or add your sitemap.</p>`;
  }
  return html`<div class="table-wrap">
    <table>
      <caption class="visually-hidden">
        Documents
      </caption>
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">Source</th>
          <th scope="col">Status</th>
          <th scope="col">Visibility</th>
          <th scope="col">Version</th>
          <th scope="col">Last synced</th>
          ${canWrite ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}
        </tr>
      </thead>
      <tbody>
        ${documents.map((d) => documentRow(ctx, d, canWrite))}
      </tbody>
    </table>
  </div>`;
}

function documentRow(ctx: PageContext, d: Document, canWrite: boolean): SafeHtml {
  return html`<tr
    id="document-${d.id}"
    ${
      active(d.status)
        ? html`hx-get="/console/documents/${d.id}/progress?row=1" hx-trigger="every 1s" hx-swap="outerHTML"`
        : ''
    }
  >
    <td><a href="/console/documents/${d.id}">${d.title}</a></td>
    <td>${d.sourceType}</td>
    <td>${progressCell(d, false)}</td>
    <td>${visibilityCell(ctx, d, canWrite)}</td>
    <td>${d.version > 0 ? `v${d.version}` : '—'}</td>
    <td>${timeTag(d.lastSyncedAt)}</td>
    ${canWrite ? html`<td class="actions">${documentActions(ctx, d)}</td>` : ''}
  </tr>`;
}

const VISIBILITY_HINTS: Record<DocumentVisibility, string> = {
  public: 'Citations link to it: its page, or for an upload the article page Parley serves.',
  internal: 'Answers use it and cite it by title only; it is never linked.',
};

/**
 * The visibility badge and, for admins, the switch to the other one (a sitemap's pages follow their
 * sitemap, so their rows have none). htmx swaps the row; without JavaScript the form posts and redirects.
 */
function visibilityCell(ctx: PageContext, d: Document, canWrite: boolean, inRow = true): SafeHtml {
  const other: DocumentVisibility = d.visibility === 'public' ? 'internal' : 'public';
  return html`<span
      class="${classes('badge', `visibility-${d.visibility}`)}"
      title="${VISIBILITY_HINTS[d.visibility]}"
      >${d.visibility}</span
    >
    ${
      canWrite
        ? html`<form
            method="post"
            action="/console/documents/${d.id}/visibility"
            class="inline"
            ${
              inRow
                ? html`hx-post="/console/documents/${d.id}/visibility" hx-target="closest tr"
                  hx-swap="outerHTML"`
                : ''
            }
          >
            ${csrfField(ctx)}
            <input type="hidden" name="visibility" value="${other}" />
            <button
              type="submit"
              class="button small secondary"
              aria-label="Make ${d.title} ${other}"
              title="${VISIBILITY_HINTS[other]}"
            >
              Make ${other}
            </button>
          </form>`
        : ''
    }`;
}

/** The choice between public and internal on the add forms (public unless chosen otherwise). */
function visibilityChoice(prefix: string, value: string | undefined): SafeHtml {
  return html`<fieldset class="choices">
    <legend>Visibility</legend>
    ${DOCUMENT_VISIBILITIES.map(
      (v) =>
        html`<label for="${prefix}-visibility-${v}"
          ><input
            id="${prefix}-visibility-${v}"
            type="radio"
            name="visibility"
            value="${v}"
            ${(value || 'public') === v ? html`checked` : ''}
          />
          ${v === 'public' ? 'Public' : 'Internal'}
          <span class="muted small">${VISIBILITY_HINTS[v]}</span></label
        >`,
    )}
  </fieldset>`;
}

const visibilityOf = (value: string): DocumentVisibility => (value === 'internal' ? 'internal' : 'public');

function documentActions(ctx: PageContext, d: Document): SafeHtml {
  return html`${
      d.parentDocumentId
        ? ''
        : html`<form method="post" action="/console/documents/${d.id}/resync" class="inline">
            ${csrfField(ctx)}
            <button type="submit" class="button small secondary" aria-label="Re-sync ${d.title}">
              Re-sync
            </button>
          </form>`
    }
    <form
      method="post"
      action="/console/documents/${d.id}/delete"
      class="inline"
      data-confirm="Delete “${d.title}”? Its passages leave answers at once."
    >
      ${csrfField(ctx)}
      <button type="submit" class="button small danger" aria-label="Delete ${d.title}">Delete</button>
    </form>`;
}

interface ListQuery {
  q: string;
  status: string;
  cursor: string;
}

function listRegion(
  ctx: PageContext,
  documents: Document[],
  next: string | null,
  query: ListQuery,
  canWrite: boolean,
): SafeHtml {
  const params = new URLSearchParams({ q: query.q, status: query.status, cursor: next ?? '' });
  return html`<div id="documents" aria-live="polite">
    ${documentRows(ctx, documents, canWrite)}
    ${
      next
        ? html`<p>
            <a class="button secondary" href="/console/documents?${params.toString()}">Next page</a>
          </p>`
        : ''
    }
  </div>`;
}

function addForms(
  ctx: PageContext,
  errors: FieldErrors = {},
  values: Record<string, string> = {},
  which?: 'upload' | 'url',
): SafeHtml {
  const uploadErrors = which === 'upload' ? errors : {};
  const urlErrors = which === 'url' ? errors : {};
  return html`<div class="add-grid" id="add-documents">
    <form
      id="upload-form"
      class="card"
      method="post"
      action="/console/documents/upload"
      enctype="multipart/form-data"
      hx-post="/console/documents/upload"
      hx-encoding="multipart/form-data"
      hx-target="#documents"
      hx-swap="outerHTML"
      data-reset-on-success
    >
      <h2>Upload a file</h2>
      ${csrfField(ctx)} ${errorSummary(uploadErrors)}
      <div class="${classes('dropzone', uploadErrors.file && 'invalid')}" data-dropzone>
        <label for="f-file">
          <strong>Drop a file here</strong> or choose one
          <span class="muted small">PDF, DOCX, HTML, Markdown or text</span>
        </label>
        <input
          id="f-file"
          name="file"
          type="file"
          required
          accept=".pdf,.docx,.html,.htm,.md,.markdown,.txt,text/*,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        />
        ${uploadErrors.file ? html`<p class="error" id="f-file-error">${uploadErrors.file}</p>` : ''}
      </div>
      ${input({ name: 'title', label: 'Title (optional)', value: which === 'upload' ? values.title : '', errors: uploadErrors })}
      ${visibilityChoice('upload', which === 'upload' ? values.visibility : undefined)}
      <button type="submit" class="button">Upload</button>
    </form>
    <form
      id="url-form"
      class="card"
      method="post"
      action="/console/documents"
      hx-post="/console/documents"
      hx-target="#documents"
      hx-swap="outerHTML"
      data-reset-on-success
      novalidate
    >
      <h2>Add a web page or sitemap</h2>
      ${csrfField(ctx)} ${errorSummary(urlErrors)}
      ${input({ name: 'url', label: 'URL', type: 'url', value: which === 'url' ? values.url : '', errors: urlErrors, required: true, hint: 'https://help.example.com/refunds or https://example.com/sitemap.xml' })}
      <fieldset class="choices">
        <legend>What is it?</legend>
        <label
          ><input type="radio" name="type" value="url" ${values.type !== 'sitemap' ? html`checked` : ''} />
          One page</label
        >
        <label
          ><input
            type="radio"
            name="type"
            value="sitemap"
            ${values.type === 'sitemap' ? html`checked` : ''}
          />
          A sitemap (every page it lists)</label
        >
      </fieldset>
      ${input({ name: 'title', label: 'Title (optional)', value: which === 'url' ? values.title : '', errors: urlErrors })}
      ${visibilityChoice('url', which === 'url' ? values.visibility : undefined)}
      <button type="submit" class="button">Add</button>
    </form>
  </div>`;
}

async function listPage(
  req: Request,
  res: Response,
  formState?: { errors: FieldErrors; values: Record<string, string>; which: 'upload' | 'url' },
): Promise<void> {
  const { principal } = consoleUser(res);
  const query: ListQuery = {
    q: typeof req.query.q === 'string' ? req.query.q.slice(0, 200) : '',
    status:
      typeof req.query.status === 'string' &&
      (DOCUMENT_STATUSES as readonly string[]).includes(req.query.status)
        ? req.query.status
        : '',
    cursor: typeof req.query.cursor === 'string' ? req.query.cursor : '',
  };
  const page = await servicesOf(req).documents.list(principal.organizationId, {
    q: query.q || undefined,
    status: (query.status || undefined) as DocumentStatus | undefined,
    cursor: query.cursor || undefined,
    limit: 25,
  });
  const ctx = contextOf(req, res);
  const canWrite = hasRole(principal.role, 'admin');
  const region = listRegion(ctx, page.items, page.nextCursor, query, canWrite);
  sendPage(req, res, {
    title: 'Documents',
    status: formState ? 422 : 200,
    fragment: region,
    main: html`<div class="page-header"><h1>Documents</h1></div>
      ${canWrite ? addForms(ctx, formState?.errors, formState?.values, formState?.which) : ''}
      <form
        class="filters"
        role="search"
        method="get"
        action="/console/documents"
        hx-get="/console/documents"
        hx-target="#documents"
        hx-swap="outerHTML"
        hx-trigger="input delay:300ms, change, submit"
        hx-push-url="true"
      >
        <div class="field">
          <label for="f-q">Search</label>
          <input id="f-q" name="q" type="search" value="${query.q}" placeholder="Title or URL" />
        </div>
        <div class="field">
          <label for="f-status">Status</label>
          <select id="f-status" name="status">
            <option value="">Any</option>
            ${DOCUMENT_STATUSES.map((s) => option(s, s, query.status))}
          </select>
        </div>
        <button type="submit" class="button secondary">Filter</button>
      </form>
      ${region}`,
  });
}

/** A failed add: the form again with its errors (htmx swaps it in place of the form). */
function formFailed(
  req: Request,
  res: Response,
  which: 'upload' | 'url',
  errors: FieldErrors,
  values: Record<string, string>,
): Promise<void> | void {
  if (wantsFragment(req)) {
    const ctx = contextOf(req, res);
    res
      .vary('HX-Request')
      .set('HX-Retarget', '#add-documents')
      .set('HX-Reswap', 'outerHTML')
      .status(422)
      .type('html')
      .send(addForms(ctx, errors, values, which).toString());
    return;
  }
  return listPage(req, res, { errors, values, which });
}

/**
 * Validation, type and size problems of an upload become field errors, each a whole sentence (the
 * service's own for a refused type or size: "This file type is not supported; …"); anything else
 * propagates.
 */
function uploadErrors(error: unknown): FieldErrors | undefined {
  const fields = problemFieldErrors(error);
  if (fields) return fields.file ? { ...fields, file: `The file ${fields.file}.` } : fields;
  if (error instanceof HttpProblem && (error.status === 413 || error.status === 415))
    return { file: error.message };
  return undefined;
}

/** Which version answers use, and the passages of each version stored (the next one while it is cut). */
function versionsCard(document: Document, versions: DocumentVersion[]): SafeHtml {
  return html`<section class="card">
    <h2>Versions</h2>
    <p>
      ${
        document.version > 0
          ? html`Answers use <strong>version ${document.version}</strong>. A re-sync whose content is
              unchanged keeps it; a change makes the next version.`
          : 'No version is live yet: the first ingestion has not finished.'
      }
    </p>
    ${
      versions.length
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">Version</th>
                <th scope="col">Passages</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${versions.map(
                (v) =>
                  html`<tr>
                    <td>v${v.documentVersion}</td>
                    <td>${v.count}</td>
                    <td>${v.documentVersion === document.version ? 'live' : 'being prepared'}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : ''
    }
  </section>`;
}

/** A sitemap has no text, so no versions: its pages are documents of their own. */
function sitemapSummary(pages: Page<Document>): SafeHtml {
  const byStatus = new Map<DocumentStatus, number>();
  for (const page of pages.items) byStatus.set(page.status, (byStatus.get(page.status) ?? 0) + 1);
  const counted = [...byStatus].map(([status, n]) => `${n} ${status}`).join(', ');
  return html`<section class="card">
    <h2>Pages</h2>
    <p>
      A sitemap has no text of its own: each page it lists is a document with its own versions, read again
      when the sitemap is re-synced.
    </p>
    <p>
      <strong>${pages.nextCursor ? `More than ${pages.items.length}` : pages.items.length} pages</strong>${
        counted ? `: ${counted}` : ''
      }${pages.nextCursor ? ' among the first listed' : ''}.
    </p>
  </section>`;
}

export function documentsRouter(): Router {
  const router = Router();

  router.get('/documents', (req, res) => listPage(req, res));

  router.post('/documents/upload', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const title = text(req.body, 'title');
    const visibility = visibilityOf(text(req.body, 'visibility'));
    if (!req.file)
      return formFailed(req, res, 'upload', { file: 'Choose a file to upload.' }, { title, visibility });
    try {
      await servicesOf(req).documents.upload(
        consoleUser(res).principal.organizationId,
        req.file,
        title || undefined,
        visibility,
      );
    } catch (error) {
      const fields = uploadErrors(error);
      if (!fields) throw error;
      return formFailed(req, res, 'upload', fields, { title, visibility });
    }
    res.redirect(303, '/console/documents');
  });

  router.post('/documents', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const values = {
      url: text(req.body, 'url'),
      type: text(req.body, 'type') || 'url',
      title: text(req.body, 'title'),
      visibility: visibilityOf(text(req.body, 'visibility')),
    };
    const body = {
      url: values.url,
      type: values.type,
      visibility: values.visibility,
      ...(values.title ? { title: values.title } : {}),
    };
    const errors = validateAgainst('UrlDocumentCreation', body);
    if (Object.keys(errors).length) return formFailed(req, res, 'url', errors, values);
    try {
      await servicesOf(req).documents.addUrl(consoleUser(res).principal.organizationId, {
        url: values.url,
        type: values.type === 'sitemap' ? 'sitemap' : 'url',
        title: values.title || undefined,
        visibility: values.visibility,
      });
    } catch (error) {
      const fields = problemFieldErrors(error);
      if (!fields) throw error;
      return formFailed(req, res, 'url', fields, values);
    }
    res.redirect(303, '/console/documents');
  });

  router.get('/documents/:id/progress', async (req, res) => {
    const { principal } = consoleUser(res);
    const document = await servicesOf(req).documents.get(principal.organizationId, idParam(req));
    // Rows of a sitemap's page list (on its detail page) have no actions, as when first rendered.
    const fragment =
      req.query.row === '1'
        ? documentRow(
            contextOf(req, res),
            document,
            hasRole(principal.role, 'admin') && !document.parentDocumentId,
          )
        : progressCell(document);
    res.vary('HX-Request').type('html').send(fragment.toString());
  });

  router.get('/documents/:id', async (req, res) => {
    const { principal } = consoleUser(res);
    const services = servicesOf(req);
    const document = await services.documents.get(principal.organizationId, idParam(req));
    const [pages, chunks] = await Promise.all([
      document.sourceType === 'sitemap'
        ? services.documents.list(principal.organizationId, { parentId: document.id, limit: 100 })
        : undefined,
      services.documents.versions(principal.organizationId, document.id),
    ]);
    const ctx = contextOf(req, res);
    const canWrite = hasRole(principal.role, 'admin');
    sendPage(req, res, {
      title: document.title,
      main: html`<nav class="breadcrumbs" aria-label="Breadcrumb">
          <a href="/console/documents">Documents</a>
        </nav>
        <div class="page-header">
          <h1>${document.title}</h1>
          ${canWrite ? html`<div class="actions">${documentActions(ctx, document)}</div>` : ''}
        </div>
        <div class="grid-2">
          <section class="card">
            <h2>Ingestion</h2>
            ${progressCell(document)}
            <dl class="facts">
              <dt>Source</dt>
              <dd>
                ${
                  document.sourceUrl
                    ? html`<a href="${safeUrl(document.sourceUrl)}" rel="noopener noreferrer"
                        >${document.sourceUrl}</a
                      >`
                    : document.sourceType
                }
              </dd>
              <dt>Visibility</dt>
              <dd>
                ${visibilityCell(ctx, document, canWrite && !document.parentDocumentId, false)}
                <p class="muted small">${VISIBILITY_HINTS[document.visibility]}</p>
                ${
                  document.visibility === 'public' &&
                  document.version > 0 &&
                  document.sourceType !== 'sitemap'
                    ? html`<p>
                        <a
                          href="${articlePath(document.organizationId, document.id)}"
                          target="_blank"
                          rel="noopener"
                          >Open the article page</a
                        >
                      </p>`
                    : ''
                }
              </dd>
              <dt>Type</dt>
              <dd>${document.mimeType ?? (pages ? 'sitemap' : '—')}</dd>
              <dt>Last synced</dt>
              <dd>${timeTag(document.lastSyncedAt)}</dd>
              <dt>Workflow</dt>
              <dd>${temporalRunLink(services.config, ingestWorkflowId(document.id))}</dd>
            </dl>
          </section>
          ${pages ? sitemapSummary(pages) : versionsCard(document, chunks)}
        </div>
        ${
          pages
            ? html`<section class="card">
                <h2>Pages of this sitemap</h2>
                ${documentRows(ctx, pages.items, false)}
              </section>`
            : ''
        }`,
    });
  });

  router.post('/documents/:id/visibility', async (req, res) => {
    requireRole(res, 'admin');
    const id = idParam(req);
    const document = await servicesOf(req).documents.setVisibility(
      consoleActor(req, res),
      id,
      visibilityOf(text(req.body, 'visibility')),
    );
    if (wantsFragment(req)) {
      const canWrite = !document.parentDocumentId;
      res
        .vary('HX-Request')
        .type('html')
        .send(documentRow(contextOf(req, res), document, canWrite).toString());
      return;
    }
    res.redirect(303, `/console/documents/${id}`);
  });

  router.post('/documents/:id/resync', async (req, res) => {
    requireRole(res, 'admin');
    const id = idParam(req);
    const document = await servicesOf(req).documents.resync(consoleUser(res).principal.organizationId, id);
    if (wantsFragment(req)) {
      res.vary('HX-Request').type('html').send(progressCell(document).toString());
      return;
    }
    res.redirect(303, `/console/documents/${id}`);
  });

  router.post('/documents/:id/delete', async (req, res) => {
    requireRole(res, 'admin');
    await servicesOf(req).documents.delete(consoleActor(req, res), idParam(req));
    res.redirect(303, '/console/documents');
  });

  return router;
}
