import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { servicesOf } from '../../api/services';
import {
  CONVERSATION_STATUSES,
  type Conversation,
  type ConversationStatus,
  type Message,
  type TestSet,
} from '../../db/models';
import type { ConversationFilters } from '../../services/conversations';
import type { DocumentService } from '../../services/documents';
import { turnWorkflowId } from '../../workflows/contracts';
import { classes, html, safeUrl, type SafeHtml } from '../html';
import { HttpProblem } from '../../lib/problem';
import { isUuid } from '../../lib/uuid';
import {
  errorSummary,
  option,
  problemFieldErrors,
  text,
  textarea,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { contextOf, csrfField, sendPage, timeTag, type PageContext } from '../layout';
import { consoleUser, idParam } from './request';
import { temporalRunLink } from './temporal-link';
import { promoteForm } from './test-sets';
import { hasRole } from '../../domain/principal';

/**
 * Conversations: a filtered list of the conversations visitors started (a widget opened without a
 * message is not one) with a preview of each one's last message, and a detail page whose transcript
 * follows the conversation live (a poller at its end fetches the messages after the last one shown,
 * every two seconds) with each answer's citations, sentiment, retrieval trace and a link to its
 * chat-turn workflow. An agent replies from there: the reply takes the conversation over from the
 * assistant when people were not handling it yet.
 */

const SENTIMENTS = {
  negative: { label: 'Negative', max: -0.3 },
  neutral: { label: 'Neutral', min: -0.3, max: 0.3 },
  positive: { label: 'Positive', min: 0.3 },
} as const;
type SentimentFilter = keyof typeof SENTIMENTS;

export function sentimentBadge(score: number | null): SafeHtml | string {
  if (score === null) return '';
  const kind = score <= -0.3 ? 'negative' : score >= 0.3 ? 'positive' : 'neutral';
  return html`<span class="${classes('badge', kind)}" title="Sentiment ${score.toFixed(2)}"
    >${SENTIMENTS[kind].label} (${score.toFixed(2)})</span
  >`;
}

// Widget visitors' ids are `visitor-<uuid>` (services/visitors.ts): name them by the uuid's start.
const visitorLabel = (c: Conversation): string =>
  c.visitorName || c.visitorEmail || `Visitor ${c.visitorId.replace(/^visitor-/, '').slice(0, 8)}`;

interface ListQuery {
  q: string;
  status: string;
  sentiment: string;
  escalated: string;
  from: string;
  to: string;
  cursor: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function parseQuery(req: Request): ListQuery {
  const value = (name: string): string => (typeof req.query[name] === 'string' ? req.query[name] : '');
  return {
    q: value('q').slice(0, 200),
    status: (CONVERSATION_STATUSES as readonly string[]).includes(value('status')) ? value('status') : '',
    sentiment: value('sentiment') in SENTIMENTS ? value('sentiment') : '',
    escalated: ['yes', 'no'].includes(value('escalated')) ? value('escalated') : '',
    from: DATE.test(value('from')) ? value('from') : '',
    to: DATE.test(value('to')) ? value('to') : '',
    cursor: value('cursor'),
  };
}

function filtersOf(query: ListQuery): ConversationFilters {
  const sentiment = query.sentiment
    ? (SENTIMENTS[query.sentiment as SentimentFilter] as { min?: number; max?: number })
    : undefined;
  const to = query.to ? new Date(`${query.to}T00:00:00Z`) : undefined;
  // "To" is a whole day: conversations created before the next midnight (UTC).
  if (to) to.setUTCDate(to.getUTCDate() + 1);
  return {
    q: query.q || undefined,
    status: (query.status || undefined) as ConversationStatus | undefined,
    minSentiment: sentiment?.min,
    maxSentiment: sentiment?.max,
    escalated: query.escalated ? query.escalated === 'yes' : undefined,
    from: query.from ? new Date(`${query.from}T00:00:00Z`) : undefined,
    to,
    cursor: query.cursor || undefined,
    limit: 25,
    sort: '-lastMessageAt',
  };
}

const PREVIEW_CHARS = 90;
const LAST_SPEAKER: Record<string, string> = { visitor: '', assistant: 'Assistant: ', agent: 'You: ' };

/** The last message, on one line, cut at a word: what the row shows under the visitor's name. */
function preview(message: Message | undefined): string {
  if (!message) return '';
  const line = message.content.replace(/\s+/g, ' ').trim();
  const cut = line.length <= PREVIEW_CHARS ? line : `${line.slice(0, PREVIEW_CHARS).replace(/\s+\S*$/, '')}…`;
  return `${LAST_SPEAKER[message.role] ?? ''}${cut}`;
}

function listRegion(
  conversations: Conversation[],
  last: Map<string, Message>,
  next: string | null,
  query: ListQuery,
): SafeHtml {
  const params = new URLSearchParams({ ...query, cursor: next ?? '' });
  return html`<div id="conversations" aria-live="polite">
    ${
      conversations.length === 0
        ? html`<p class="empty">No conversations match. Visitors’ chats from the widget appear here.</p>`
        : html`<div class="table-wrap">
            <table>
              <caption class="visually-hidden">
                Conversations
              </caption>
              <thead>
                <tr>
                  <th scope="col">Visitor</th>
                  <th scope="col">Last message</th>
                  <th scope="col">Status</th>
                  <th scope="col">Handled by</th>
                  <th scope="col">Sentiment</th>
                  <th scope="col">Updated</th>
                  <th scope="col">Started</th>
                </tr>
              </thead>
              <tbody>
                ${conversations.map(
                  (c) =>
                    html`<tr>
                      <td><a href="/console/conversations/${c.id}">${visitorLabel(c)}</a></td>
                      <td class="preview">${preview(last.get(c.id))}</td>
                      <td><span class="${classes('badge', `status-${c.status}`)}">${c.status}</span></td>
                      <td>${c.handledBy === 'agent' ? 'Agent' : 'Assistant'}</td>
                      <td>${sentimentBadge(c.sentiment) || '—'}</td>
                      <td>${timeTag(c.lastMessageAt)}</td>
                      <td>${timeTag(c.createdAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${next ? html`<p><a class="button secondary" href="/console/conversations?${params.toString()}">Next page</a></p>` : ''}
  </div>`;
}

function filterForm(query: ListQuery): SafeHtml {
  return html`<form
    class="filters"
    role="search"
    method="get"
    action="/console/conversations"
    hx-get="/console/conversations"
    hx-target="#conversations"
    hx-swap="outerHTML"
    hx-trigger="input delay:300ms, change, submit"
    hx-push-url="true"
  >
    <div class="field">
      <label for="f-q">Search</label>
      <input id="f-q" name="q" type="search" value="${query.q}" placeholder="Visitor or message text" />
    </div>
    <div class="field narrow">
      <label for="f-status">Status</label>
      <select id="f-status" name="status">
        ${option('', 'Any', query.status)} ${CONVERSATION_STATUSES.map((s) => option(s, s, query.status))}
      </select>
    </div>
    <div class="field narrow">
      <label for="f-sentiment">Sentiment</label>
      <select id="f-sentiment" name="sentiment">
        ${option('', 'Any', query.sentiment)}
        ${Object.entries(SENTIMENTS).map(([value, s]) => option(value, s.label, query.sentiment))}
      </select>
    </div>
    <div class="field narrow">
      <label for="f-escalated">Escalated</label>
      <select id="f-escalated" name="escalated">
        ${option('', 'Any', query.escalated)} ${option('yes', 'Escalated', query.escalated)}
        ${option('no', 'Never escalated', query.escalated)}
      </select>
    </div>
    <div class="field narrow">
      <label for="f-from">From</label>
      <input id="f-from" name="from" type="date" value="${query.from}" />
    </div>
    <div class="field narrow">
      <label for="f-to">To</label>
      <input id="f-to" name="to" type="date" value="${query.to}" />
    </div>
    <button type="submit" class="button secondary">Filter</button>
  </form>`;
}

const ROLE_LABELS: Record<string, string> = {
  visitor: 'Visitor',
  assistant: 'Assistant',
  agent: 'Agent',
  system: 'System',
};

export function messageItem(
  message: Message,
  titles: Map<string, string>,
  config: Parameters<typeof temporalRunLink>[0],
  /** The organization's test sets, for admins: a reply can become an answer test. */
  testSets: Pick<TestSet, 'id' | 'name'>[] = [],
): SafeHtml {
  const trace = message.retrievalTrace;
  return html`<li
    class="${classes('message', message.role)}"
    id="message-${message.id}"
    data-role="${message.role}"
  >
    <div class="meta">
      <strong>${message.internal ? 'Internal note' : (ROLE_LABELS[message.role] ?? message.role)}</strong>
      ${timeTag(message.createdAt)} ${message.role === 'visitor' ? sentimentBadge(message.sentiment) : ''}
      ${message.outcome ? html`<span class="badge">${message.outcome}</span>` : ''}
      ${message.latencyMs !== null ? html`<span>${message.latencyMs} ms</span>` : ''}
      ${message.model ? html`<span>${message.model}${message.promptVersion ? ` · prompt ${message.promptVersion}` : ''}</span>` : ''}
      ${message.promptTokens !== null ? html`<span>${message.promptTokens} + ${message.completionTokens ?? 0} tokens</span>` : ''}
    </div>
    <div class="content">${message.content}</div>
    ${
      message.citations.length
        ? html`<ol class="citations" aria-label="Sources">
            ${message.citations.map(
              (c) =>
                html`<li>
                  <a href="/console/documents/${c.documentId}">${c.section ?? c.title}</a>
                  ${c.url ? html` · <a href="${safeUrl(c.url)}" rel="noopener noreferrer">source</a>` : ''}
                  ${c.snippet ? html`<blockquote class="small">${c.snippet}</blockquote>` : ''}
                </li>`,
            )}
          </ol>`
        : ''
    }
    ${
      trace
        ? html`<details>
            <summary>Retrieval trace (${trace.hits.length} passages)</summary>
            <p>
              Query: <q>${trace.query}</q>
              ${
                typeof trace.confidence === 'number'
                  ? html` · confidence ${trace.confidence.toFixed(2)} (the organization's threshold decides)`
                  : ''
              }
              ${
                trace.stream === 'simulated'
                  ? html` · streamed word by word from a finished reply (simulated, no model)`
                  : ''
              }
            </p>
            <table>
              <thead>
                <tr>
                  <th scope="col">Document</th>
                  <th scope="col">Version</th>
                  <th scope="col" title="Cosine similarity to the question">Similarity</th>
                  <th scope="col" title="Share of the question's words in the section">Coverage</th>
                  <th scope="col" title="Rank in the lexical (BM25) and dense (FAISS) rankings">Ranks</th>
                  <th scope="col">Passage</th>
                </tr>
              </thead>
              <tbody>
                ${trace.hits.map(
                  (hit) =>
                    html`<tr>
                      <td>
                        <a href="/console/documents/${hit.documentId}"
                          >${titles.get(hit.documentId) ?? 'deleted document'}</a
                        >
                      </td>
                      <td>v${hit.documentVersion}</td>
                      <td>${hit.score.toFixed(3)}</td>
                      <td>${hit.coverage === undefined ? '–' : hit.coverage.toFixed(2)}</td>
                      <td>
                        ${
                          hit.lexicalRank === undefined
                            ? '–'
                            : `BM25 ${hit.lexicalRank ?? '–'} · dense ${hit.denseRank ?? '–'}`
                        }
                      </td>
                      <td><code>#${hit.chunkId}</code></td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </details>`
        : ''
    }
    ${
      message.role === 'assistant' && message.replyToMessageId
        ? html`<p class="small">
            Chat turn: ${temporalRunLink(config, turnWorkflowId(message.replyToMessageId))}
          </p>`
        : ''
    }
    ${
      message.role === 'assistant' && message.replyToMessageId && testSets.length > 0
        ? promoteForm(message.id, testSets)
        : ''
    }
  </li>`;
}

/** The element at the end of the transcript that asks for what came after the last message. */
export function poller(conversationId: string, lastId: string | undefined): SafeHtml {
  const after = lastId ? `?after=${lastId}` : '';
  return html`<li
    class="poller"
    aria-hidden="true"
    hx-get="/console/conversations/${conversationId}/messages${after}"
    hx-trigger="every 2s"
    hx-swap="outerHTML"
  ></li>`;
}

/** The titles of the documents the messages' answers drew on, by id. */
export function documentTitles(
  documents: DocumentService,
  organizationId: string,
  messages: Message[],
): Promise<Map<string, string>> {
  const ids = [...new Set(messages.flatMap((m) => m.retrievalTrace?.hits.map((h) => h.documentId) ?? []))];
  return documents.titles(organizationId, ids);
}

/** A reply that was not sent: what the agent wrote, why, and its idempotency key for the retry. */
interface ReplyDraft {
  content: string;
  errors: FieldErrors;
  clientMessageId: string;
  failure?: string;
}

/** What the last action did, said once on the page it redirects to (`?done=`). */
const DONE: Record<string, string> = {
  reply: 'Reply sent: the visitor sees it now. You are handling this conversation.',
};

function replyForm(
  ctx: PageContext,
  conversation: Conversation,
  handled: boolean,
  draft: ReplyDraft | undefined,
): SafeHtml {
  return html`<section class="card" aria-labelledby="reply-title">
    <h2 id="reply-title">Reply to the visitor</h2>
    ${errorSummary(draft?.errors ?? {}, draft?.failure)}
    <form method="post" action="/console/conversations/${conversation.id}/replies" novalidate>
      ${csrfField(ctx)}
      <input type="hidden" name="clientMessageId" value="${draft?.clientMessageId ?? randomUUID()}" />
      ${textarea({ name: 'content', id: 'f-reply', label: 'Reply', value: draft?.content, errors: draft?.errors, rows: 4, required: true, hint: handled ? 'The visitor sees it at once in the widget.' : 'Sending takes the conversation over: the assistant stops answering and the visitor sees your reply at once.' })}
      <button type="submit" class="button">${handled ? 'Send reply' : 'Take over and reply'}</button>
    </form>
  </section>`;
}

async function conversationPage(req: Request, res: Response, draft?: ReplyDraft): Promise<void> {
  const user = consoleUser(res);
  const { organizationId } = user.principal;
  const services = servicesOf(req);
  const conversation = await services.conversations.get(organizationId, idParam(req));
  const messages = conversation.messages ?? [];
  const [titles, ticket, testSets] = await Promise.all([
    documentTitles(services.documents, organizationId, messages),
    services.tickets.latestOfConversation(organizationId, conversation.id),
    hasRole(user.principal.role, 'admin')
      ? services.testSets.list(organizationId, { limit: 100, sort: 'name' }).then((page) => page.items)
      : [],
  ]);
  const ctx = contextOf(req, res);
  const transcript = html`<ol class="transcript" id="transcript" aria-live="polite" aria-label="Transcript">
    ${messages.map((m) => messageItem(m, titles, services.config, testSets))}
    ${poller(conversation.id, messages.at(-1)?.id)}
  </ol>`;
  const handled = Boolean(ticket && ticket.status !== 'closed' && conversation.handledBy === 'agent');
  const done = typeof req.query.done === 'string' && Object.hasOwn(DONE, req.query.done);
  sendPage(req, res, {
    title: `Conversation with ${visitorLabel(conversation)}`,
    status: draft?.failure ? 503 : draft ? 422 : 200,
    fragment: transcript,
    main: html`<nav class="breadcrumbs" aria-label="Breadcrumb">
        <a href="/console/conversations">Conversations</a>
      </nav>
      ${done ? html`<div class="alert alert-success" role="status">${DONE[req.query.done as string]}</div>` : ''}
      <div class="page-header">
        <h1>${visitorLabel(conversation)}</h1>
        <span class="${classes('badge', `status-${conversation.status}`)}">${conversation.status}</span>
      </div>
      <div class="grid-2">
        <section class="card">
          <h2>Visitor</h2>
          <dl class="facts">
            <dt>Name</dt>
            <dd>${conversation.visitorName ?? '—'}</dd>
            <dt>Email</dt>
            <dd>${conversation.visitorEmail ?? '—'}</dd>
            <dt>Visitor id</dt>
            <dd><code>${conversation.visitorId}</code></dd>
            <dt>Sentiment</dt>
            <dd>${sentimentBadge(conversation.sentiment) || '—'}</dd>
            <dt>Satisfaction</dt>
            <dd>${conversation.csatRating ? `${conversation.csatRating} / 5` : '—'}</dd>
          </dl>
        </section>
        <section class="card">
          <h2>Handling</h2>
          <dl class="facts">
            <dt>Answered by</dt>
            <dd>
              ${conversation.handledBy === 'agent' ? 'your team (the assistant is paused)' : 'the assistant'}
            </dd>
            <dt>Ticket</dt>
            <dd>
              ${
                ticket
                  ? html`<a href="/console/tickets/${ticket.id}">#${ticket.number}</a> (${ticket.status})`
                  : 'none'
              }
            </dd>
            <dt>Started</dt>
            <dd>${timeTag(conversation.createdAt)}</dd>
            <dt>Summary</dt>
            <dd>${conversation.summary || '—'}</dd>
          </dl>
          ${
            !ticket ||
            ticket.status === 'closed' ||
            ticket.assigneeUserId !== user.principal.userId ||
            conversation.handledBy === 'assistant'
              ? html`<form
                  method="post"
                  action="/console/conversations/${conversation.id}/take-over"
                  data-confirm="Take over this conversation? The assistant stops answering and the visitor is told that you joined."
                >
                  ${csrfField(ctx)}
                  <button type="submit" class="button">Take over</button>
                </form>`
              : ''
          }
          ${
            ticket && ticket.status !== 'closed' && conversation.handledBy === 'agent'
              ? html`<form
                  method="post"
                  action="/console/tickets/${ticket.id}/hand-back"
                  data-confirm="Hand the conversation back to the assistant? The ticket is resolved."
                >
                  ${csrfField(ctx)}
                  <button type="submit" class="button secondary">Hand back to the assistant</button>
                </form>`
              : ''
          }
        </section>
      </div>
      <section class="card">
        <h2>Transcript</h2>
        ${transcript}
      </section>
      ${replyForm(ctx, conversation, handled, draft)}`,
  });
}

export function conversationsRouter(): Router {
  const router = Router();

  router.get('/conversations', async (req, res) => {
    const query = parseQuery(req);
    const { organizationId } = consoleUser(res).principal;
    const { conversations } = servicesOf(req);
    const page = await conversations.list(organizationId, { ...filtersOf(query), started: true });
    const last = await conversations.lastMessages(
      organizationId,
      page.items.map((c) => c.id),
    );
    const region = listRegion(page.items, last, page.nextCursor, query);
    sendPage(req, res, {
      title: 'Conversations',
      fragment: region,
      main: html`<div class="page-header"><h1>Conversations</h1></div>
        ${filterForm(query)} ${region}`,
    });
  });

  router.get('/conversations/:id/messages', async (req: Request, res: Response) => {
    const { organizationId } = consoleUser(res).principal;
    const services = servicesOf(req);
    const conversation = await services.conversations.get(organizationId, idParam(req));
    const messages = conversation.messages ?? [];
    const after = typeof req.query.after === 'string' ? req.query.after : '';
    const index = after ? messages.findIndex((m) => m.id === after) : -1;
    const fresh = after && index < 0 ? [] : messages.slice(index + 1);
    const titles = await documentTitles(services.documents, organizationId, fresh);
    const last = fresh.at(-1)?.id ?? (after || undefined);
    res
      .vary('HX-Request')
      .type('html')
      .send(
        html`${fresh.map((m) => messageItem(m, titles, services.config))}${poller(conversation.id, last)}`.toString(),
      );
  });

  router.get('/conversations/:id', (req, res) => conversationPage(req, res));

  router.post('/conversations/:id/replies', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const services = servicesOf(req);
    const id = idParam(req);
    const content = text(req.body, 'content');
    const key = text(req.body, 'clientMessageId');
    const clientMessageId = isUuid(key) ? key : randomUUID();
    let errors = validateAgainst('TicketReplyCreation', { content });
    let failure: string | undefined;
    if (Object.keys(errors).length === 0) {
      try {
        const conversation = await services.conversations.get(principal.organizationId, id);
        const current = await services.tickets.latestOfConversation(principal.organizationId, id);
        // People already answering keep their ticket; otherwise the reply takes the conversation over.
        const ticket =
          current && current.status !== 'closed' && conversation.handledBy === 'agent'
            ? current
            : await services.tickets.takeOver(principal, id);
        await services.tickets.reply(principal, ticket.id, {
          content,
          clientMessageId: `agent-${clientMessageId}`,
        });
        res.redirect(303, `/console/conversations/${id}?done=reply`);
        return;
      } catch (error) {
        const fields = problemFieldErrors(error);
        if (fields) errors = fields;
        else if (error instanceof HttpProblem && error.status === 503) failure = error.message;
        else throw error;
      }
    }
    await conversationPage(req, res, { content, errors, clientMessageId, failure });
  });

  router.post('/conversations/:id/take-over', async (req: Request, res: Response) => {
    const ticket = await servicesOf(req).tickets.takeOver(consoleUser(res).principal, idParam(req));
    res.redirect(303, `/console/tickets/${ticket.id}`);
  });

  return router;
}
