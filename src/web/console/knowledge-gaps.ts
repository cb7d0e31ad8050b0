import { Router, type Request, type Response } from 'express';
import { hasRole } from '../../domain/principal';
import { servicesOf } from '../../api/services';
import { listKnowledgeGaps, type KnowledgeGap } from '../../services/knowledge-gaps';
import { slugify } from '../../services/organizations';
import { option, errorSummary, input, text, textarea, type FieldErrors } from '../forms';
import { html, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, timeTag, type PageContext } from '../layout';
import { consoleUser, requireRole } from './request';
import { clip } from '../../lib/storable';

/**
 * Knowledge gaps: questions the assistant could not answer, grouped, with the way to close each one —
 * an article (prefilled with an agent's reply when there is one) that is ingested as a new document.
 */

const MAX_TITLE = 500;
const MAX_ARTICLE = 50_000;
const PERIODS = [7, 30, 90];

interface ArticleDraft {
  key: number;
  title: string;
  content: string;
  errors: FieldErrors;
}

function articleForm(ctx: PageContext, draft: ArticleDraft, open: boolean): SafeHtml {
  return html`<details class="article-draft" ${open ? html`open` : ''}>
    <summary>Write an article that answers it</summary>
    ${errorSummary(draft.errors)}
    <form method="post" action="/console/knowledge-gaps/articles" novalidate>
      ${csrfField(ctx)}
      <input type="hidden" name="key" value="${draft.key}" />
      ${input({ name: `title`, label: 'Article title', value: draft.title, errors: draft.errors, required: true })}
      ${textarea({ name: `content`, label: 'Answer', value: draft.content, errors: draft.errors, rows: 6, required: true, hint: 'Markdown. It is ingested like any uploaded document, and the assistant can cite it at once.' })}
      <button type="submit" class="button">Add to the knowledge base</button>
    </form>
  </details>`;
}

function gapCard(
  ctx: PageContext,
  gap: KnowledgeGap,
  index: number,
  canWrite: boolean,
  draft?: ArticleDraft,
): SafeHtml {
  return html`<article class="card gap" aria-labelledby="gap-${index}">
    <h2 id="gap-${index}">${gap.question}</h2>
    <p class="muted">
      Asked ${gap.count} time${gap.count === 1 ? '' : 's'} · last ${timeTag(gap.lastAskedAt)} ·
      ${gap.conversationIds.slice(0, 5).map((id, i) => html`<a href="/console/conversations/${id}">conversation ${i + 1}</a> `)}
    </p>
    ${
      gap.agentReply
        ? html`<blockquote class="agent-reply">
            <p class="small muted">An agent answered:</p>
            <p>${gap.agentReply.content}</p>
          </blockquote>`
        : ''
    }
    ${
      canWrite
        ? articleForm(
            ctx,
            draft ?? {
              key: index,
              title: clip(gap.question, MAX_TITLE),
              content: gap.agentReply?.content ?? '',
              errors: {},
            },
            draft !== undefined || gap.agentReply !== null,
          )
        : ''
    }
  </article>`;
}

async function gapsPage(req: Request, res: Response, draft?: ArticleDraft): Promise<void> {
  const { principal } = consoleUser(res);
  const requested = Number(req.query.days);
  const days = PERIODS.includes(requested) ? requested : 30;
  const gaps = await listKnowledgeGaps(servicesOf(req).knex, principal.organizationId, { days });
  const ctx = contextOf(req, res);
  const canWrite = hasRole(principal.role, 'admin');
  sendPage(req, res, {
    title: 'Knowledge gaps',
    status: draft ? 422 : 200,
    main: html`<div class="page-header">
        <h1>Knowledge gaps</h1>
        <form method="get" action="/console/knowledge-gaps" class="filters">
          <div class="field narrow">
            <label for="f-days">Period</label>
            <select id="f-days" name="days">
              ${PERIODS.map((d) => option(String(d), `Last ${d} days`, String(days)))}
            </select>
          </div>
          <button type="submit" class="button secondary">Show</button>
        </form>
      </div>
      <p class="muted">Questions the assistant could not answer from your documents, most asked first.</p>
      ${
        gaps.length === 0
          ? html`<p class="empty">No unanswered questions in this period.</p>`
          : gaps.map((gap, i) => gapCard(ctx, gap, i, canWrite, draft?.key === i ? draft : undefined))
      }`,
  });
}

export function knowledgeGapsRouter(): Router {
  const router = Router();

  router.get('/knowledge-gaps', (req, res) => gapsPage(req, res));

  router.post('/knowledge-gaps/articles', async (req: Request, res: Response) => {
    requireRole(res, 'admin');
    const title = text(req.body, 'title');
    const content = text(req.body, 'content');
    const errors: FieldErrors = {};
    if (!title) errors.title = 'is required';
    else if (title.length > MAX_TITLE) errors.title = `must be at most ${MAX_TITLE} characters`;
    if (!content) errors.content = 'is required';
    else if (content.length > MAX_ARTICLE) errors.content = `must be at most ${MAX_ARTICLE} characters`;
    if (Object.keys(errors).length) {
      await gapsPage(req, res, { key: Number(text(req.body, 'key')), title, content, errors });
      return;
    }
    // The article enters the knowledge base the way every document does: an upload, ingested by its workflow.
    const markdown = Buffer.from(`# ${title}\n\n${content}\n`, 'utf8');
    const document = await servicesOf(req).documents.upload(
      consoleUser(res).principal.organizationId,
      {
        originalname: `${slugify(title)}.md`,
        mimetype: 'text/markdown',
        buffer: markdown,
        size: markdown.length,
      },
      title,
    );
    res.redirect(303, `/console/documents/${document.id}`);
  });

  return router;
}
