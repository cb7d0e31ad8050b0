import { Router, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { HttpProblem, problems } from '../../lib/problem';
import { servicesOf } from '../../api/services';
import { TICKET_PRIORITIES, TICKET_STATUSES, type Ticket } from '../../db/models';
import { SETTABLE_STATUSES, type ReplyStatus, type SettableStatus } from '../../domain/tickets';
import { listMembers, type MemberView } from '../../services/members';
import type { TicketEventView, TicketFilters } from '../../services/tickets';
import {
  option,
  errorSummary,
  problemFieldErrors,
  text,
  textarea,
  validateAgainst,
  type FieldErrors,
} from '../forms';
import { classes, html, type SafeHtml } from '../html';
import { contextOf, csrfField, sendPage, timeTag, when, type PageContext } from '../layout';
import { documentTitles, messageItem, poller, sentimentBadge } from './conversations';
import { consoleUser, idParam } from './request';
import { temporalRunLink } from './temporal-link';
import { isUuid } from '../../lib/uuid';

/**
 * The ticket inbox and a ticket's page: assign, reply (the visitor sees it live), internal notes,
 * status, hand back to the assistant, the timeline and the SLA countdown. Every change goes through
 * the ticket service, which sends it to the ticket's lifecycle workflow.
 */

/** The next target the ticket must meet: first response until someone replied, then resolution. */
function slaTarget(t: Ticket): { label: string; due: Date; breached: boolean } | undefined {
  if (t.status === 'resolved' || t.status === 'closed') return undefined;
  if (!t.firstResponseAt && t.firstResponseDueAt) {
    return {
      label: 'First response',
      due: t.firstResponseDueAt,
      breached: t.firstResponseBreachedAt !== null,
    };
  }
  if (t.resolutionDueAt)
    return { label: 'Resolution', due: t.resolutionDueAt, breached: t.resolutionBreachedAt !== null };
  return undefined;
}

export function remaining(due: Date, now = new Date()): string {
  const minutes = Math.round(Math.abs(due.getTime() - now.getTime()) / 60_000);
  const span = minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
  return due.getTime() >= now.getTime() ? `due in ${span}` : `overdue by ${span}`;
}

/** A countdown that console.js keeps current; the server's text is right when the page is sent. */
function slaCountdown(t: Ticket): SafeHtml | string {
  const target = slaTarget(t);
  if (!target) return '—';
  const overdue = target.due.getTime() < Date.now();
  return html`<span class="${classes('sla', overdue && 'overdue')}">
    ${target.label}
    <time datetime="${target.due.toISOString()}" data-countdown>${remaining(target.due)}</time>
  </span>`;
}

const memberName = (members: MemberView[], userId: string | null): string =>
  userId ? (members.find((m) => m.userId === userId)?.name ?? 'a former member') : 'Unassigned';

const REOPEN_CAUSES: Record<string, string> = {
  visitor_message: 'the visitor wrote again',
  escalated: 'the conversation was escalated again',
  agent_reply: 'an agent replied',
};

/** A timeline entry in words: what happened, to whom and why (the event's data, read). */
function eventText(event: TicketEventView, members: MemberView[]): string {
  const data = event.data;
  const text = (key: string) => (typeof data[key] === 'string' ? data[key] : '');
  const person = (key: string) => memberName(members, text(key) || null);
  const reasons = Array.isArray(data.reasons) ? data.reasons.join('; ') : '';
  switch (event.type) {
    case 'created':
      return `Opened: ${reasons}; priority ${text('priority')}`;
    case 'escalated_again':
      return `Escalated again: ${reasons}`;
    case 'assigned':
      return `Assigned to ${person('to')}${data.roundRobin ? ' (round robin)' : ''}${text('from') ? `, was ${person('from')}` : ''}`;
    case 'assignment_skipped':
      return `Not assigned: ${text('reason')}`;
    case 'taken_over':
      return `Taken over by ${person('to')}`;
    case 'reopened':
      return `Reopened: ${REOPEN_CAUSES[text('cause')] ?? text('cause')}`;
    case 'status_changed':
      return `Status ${text('from').replace(/_/g, ' ')} → ${text('to').replace(/_/g, ' ')}${text('cause') === 'agent_reply' ? ' with a reply' : ''}`;
    case 'replied':
      return data.firstResponse ? 'Replied to the visitor (first response)' : 'Replied to the visitor';
    case 'note':
      return `Internal note: ${text('content')}`;
    case 'handed_back':
      return 'Handed back to the assistant';
    case 'sla_breached':
      return `${text('kind') === 'first_response' ? 'First response' : 'Resolution'} target missed (due ${when(text('dueAt'))}); priority ${text('from')} → ${text('to')}`;
  }
}

interface ListQuery {
  status: string;
  priority: string;
  assignee: string;
  cursor: string;
}

function listRegion(
  tickets: Ticket[],
  members: MemberView[],
  next: string | null,
  query: ListQuery,
): SafeHtml {
  const params = new URLSearchParams({ ...query, cursor: next ?? '' });
  return html`<div id="tickets" aria-live="polite">
    ${
      tickets.length === 0
        ? html`<p class="empty">No tickets match. Escalated conversations open tickets here.</p>`
        : html`<div class="table-wrap">
            <table>
              <caption class="visually-hidden">
                Tickets
              </caption>
              <thead>
                <tr>
                  <th scope="col">Ticket</th>
                  <th scope="col">Status</th>
                  <th scope="col">Priority</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Assignee</th>
                  <th scope="col">SLA</th>
                  <th scope="col">Opened</th>
                </tr>
              </thead>
              <tbody>
                ${tickets.map(
                  (t) =>
                    html`<tr>
                      <td><a href="/console/tickets/${t.id}">#${t.number}</a></td>
                      <td><span class="${classes('badge', `status-${t.status}`)}">${t.status}</span></td>
                      <td>
                        <span class="${classes('badge', `priority-${t.priority}`)}">${t.priority}</span>
                      </td>
                      <td>${t.reason}</td>
                      <td>${memberName(members, t.assigneeUserId)}</td>
                      <td>${slaCountdown(t)}</td>
                      <td>${timeTag(t.createdAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>
          </div>`
    }
    ${next ? html`<p><a class="button secondary" href="/console/tickets?${params.toString()}">Next page</a></p>` : ''}
  </div>`;
}

function filterForm(query: ListQuery, members: MemberView[], me: string): SafeHtml {
  return html`<form
    class="filters"
    role="search"
    method="get"
    action="/console/tickets"
    hx-get="/console/tickets"
    hx-target="#tickets"
    hx-swap="outerHTML"
    hx-trigger="change, submit"
    hx-push-url="true"
  >
    <div class="field narrow">
      <label for="f-status">Status</label>
      <select id="f-status" name="status">
        ${option('', 'Any', query.status)} ${TICKET_STATUSES.map((s) => option(s, s, query.status))}
      </select>
    </div>
    <div class="field narrow">
      <label for="f-priority">Priority</label>
      <select id="f-priority" name="priority">
        ${option('', 'Any', query.priority)} ${TICKET_PRIORITIES.map((p) => option(p, p, query.priority))}
      </select>
    </div>
    <div class="field">
      <label for="f-assignee">Assignee</label>
      <select id="f-assignee" name="assignee">
        ${option('', 'Anyone', query.assignee)} ${option(me, 'Me', query.assignee)}
        ${option('none', 'Unassigned', query.assignee)}
        ${members.filter((m) => m.userId !== me).map((m) => option(m.userId, m.name, query.assignee))}
      </select>
    </div>
    <button type="submit" class="button secondary">Filter</button>
  </form>`;
}

function parseQuery(req: Request): ListQuery {
  const value = (name: string): string => (typeof req.query[name] === 'string' ? req.query[name] : '');
  const assignee = value('assignee');
  return {
    status: (TICKET_STATUSES as readonly string[]).includes(value('status')) ? value('status') : '',
    priority: (TICKET_PRIORITIES as readonly string[]).includes(value('priority')) ? value('priority') : '',
    assignee: assignee === 'none' || isUuid(assignee) ? assignee : '',
    cursor: value('cursor'),
  };
}

/**
 * A message form sent back to its author: what they wrote, what was wrong with it, and its idempotency
 * key, so that sending it again after a timeout posts it once.
 */
interface Draft {
  content: string;
  errors: FieldErrors;
  clientMessageId: string;
  /** Why it was not sent, when no field is at fault (the ticket did not answer in time). */
  failure?: string;
}

/** What the last action did, said once on the page it redirects to (`?done=`). */
const DONE: Record<string, string> = {
  reply: 'Reply sent: the visitor sees it now.',
  'reply-pending': 'Reply sent. The ticket waits for the visitor; their next message reopens it.',
  'reply-resolved': 'Reply sent and the ticket resolved.',
  note: 'Note added.',
  assigned: 'Assignment saved.',
  status: 'Status changed.',
  'handed-back': 'Handed back to the assistant; the ticket is resolved.',
};

function doneAlert(done: unknown): SafeHtml | '' {
  const text = typeof done === 'string' && Object.hasOwn(DONE, done) ? DONE[done] : undefined;
  return text ? html`<div class="alert alert-success" role="status">${text}</div>` : '';
}

interface Drafts {
  reply?: Draft;
  note?: Draft;
}

const messageKey = (draft: Draft | undefined): SafeHtml =>
  html`<input type="hidden" name="clientMessageId" value="${draft?.clientMessageId ?? randomUUID()}" />`;

function actionForms(ctx: PageContext, ticket: Ticket, members: MemberView[], drafts: Drafts): SafeHtml {
  const base = `/console/tickets/${ticket.id}`;
  return html`<section class="card" aria-labelledby="reply-title">
      <h2 id="reply-title">Reply to the visitor</h2>
      ${errorSummary(drafts.reply?.errors ?? {}, drafts.reply?.failure)}
      <form method="post" action="${base}/replies" novalidate>
        ${csrfField(ctx)} ${messageKey(drafts.reply)}
        ${textarea({ name: 'content', id: 'f-reply', label: 'Reply', value: drafts.reply?.content, errors: drafts.reply?.errors, rows: 4, required: true, hint: ticket.status === 'closed' || ticket.status === 'resolved' ? 'Replying reopens the ticket.' : 'The visitor sees it at once in the widget.' })}
        <div class="actions">
          <button type="submit" class="button">Send reply</button>
          <button type="submit" class="button secondary" name="status" value="pending">
            Send and wait for the visitor
          </button>
          <button type="submit" class="button secondary" name="status" value="resolved">
            Send and resolve
          </button>
        </div>
      </form>
    </section>
    <section class="card" aria-labelledby="note-title">
      <h2 id="note-title">Internal note</h2>
      ${errorSummary(drafts.note?.errors ?? {}, drafts.note?.failure)}
      <form method="post" action="${base}/notes" novalidate>
        ${csrfField(ctx)} ${messageKey(drafts.note)}
        ${textarea({ name: 'content', id: 'f-note', label: 'Note for colleagues', value: drafts.note?.content, errors: drafts.note?.errors, rows: 3, required: true, hint: 'Never shown to the visitor.' })}
        <button type="submit" class="button secondary">Add note</button>
      </form>
    </section>
    <section class="card grid-2" aria-label="Assignment and status">
      <form method="post" action="${base}/assign">
        ${csrfField(ctx)}
        <div class="field">
          <label for="f-assign">Assignee</label>
          <select id="f-assign" name="userId">
            <option value="">Next available agent (round-robin)</option>
            ${members.map((m) => option(m.userId, m.name, ticket.assigneeUserId))}
          </select>
        </div>
        <button type="submit" class="button secondary">Assign</button>
      </form>
      <form method="post" action="${base}/status">
        ${csrfField(ctx)}
        <div class="field">
          <label for="f-ticket-status">Status</label>
          <select id="f-ticket-status" name="status">
            ${SETTABLE_STATUSES.map((s) => option(s, s, ticket.status))}
          </select>
        </div>
        <button type="submit" class="button secondary">Set status</button>
      </form>
    </section>`;
}

async function ticketPage(req: Request, res: Response, drafts: Drafts = {}): Promise<void> {
  const { principal } = consoleUser(res);
  const services = servicesOf(req);
  const ticket = await services.tickets.find(principal.organizationId, idParam(req));
  const [detail, members, conversation] = await Promise.all([
    services.tickets.detail(principal.organizationId, ticket.id),
    listMembers(servicesOf(req).knex, principal.organizationId, { limit: 100 }, {}),
    services.conversations.get(principal.organizationId, ticket.conversationId),
  ]);
  const messages = conversation.messages ?? [];
  const titles = await documentTitles(services.documents, principal.organizationId, messages);
  const ctx = contextOf(req, res);
  const draft = drafts.reply ?? drafts.note;
  sendPage(req, res, {
    title: `Ticket #${ticket.number}`,
    status: draft?.failure ? 503 : draft ? 422 : 200,
    main: html`<nav class="breadcrumbs" aria-label="Breadcrumb"><a href="/console/tickets">Tickets</a></nav>
      ${doneAlert(req.query.done)}
      <div class="page-header">
        <h1>Ticket #${ticket.number}</h1>
        <div class="actions">
          <span class="${classes('badge', `status-${ticket.status}`)}">${ticket.status}</span>
          <span class="${classes('badge', `priority-${ticket.priority}`)}">${ticket.priority}</span>
          ${
            conversation.handledBy === 'agent'
              ? html`<form
                  method="post"
                  action="/console/tickets/${ticket.id}/hand-back"
                  class="inline"
                  data-confirm="Hand the conversation back to the assistant? The ticket is resolved."
                >
                  ${csrfField(ctx)}
                  <button type="submit" class="button secondary">Hand back to the assistant</button>
                </form>`
              : ''
          }
        </div>
      </div>
      <div class="grid-2">
        <section class="card">
          <h2>Why it was escalated</h2>
          <p>${ticket.reason}</p>
          ${ticket.summary ? html`<pre class="summary">${ticket.summary}</pre>` : ''}
        </section>
        <section class="card">
          <h2>Service level</h2>
          <dl class="facts">
            <dt>Target</dt>
            <dd>${slaCountdown(ticket)}</dd>
            <dt>Assignee</dt>
            <dd>${memberName(members.items, ticket.assigneeUserId)}</dd>
            <dt>Visitor</dt>
            <dd>
              <a href="/console/conversations/${conversation.id}"
                >${conversation.visitorName ?? conversation.visitorEmail ?? 'Visitor'}</a
              >
              ${sentimentBadge(conversation.sentiment)}
            </dd>
            <dt>Workflow</dt>
            <dd>${temporalRunLink(services.config, detail.workflowId)}</dd>
          </dl>
        </section>
      </div>
      <section class="card">
        <h2>Conversation</h2>
        <ol class="transcript" id="transcript" aria-live="polite" aria-label="Transcript">
          ${messages.map((m) => messageItem(m, titles, services.config))}
          ${poller(conversation.id, messages.at(-1)?.id)}
        </ol>
      </section>
      ${actionForms(ctx, ticket, members.items, drafts)}
      <section class="card">
        <h2>Timeline</h2>
        <ol class="timeline">
          ${detail.events.map(
            (e) =>
              html`<li>
                ${timeTag(e.createdAt)} ${eventText(e, members.items)}
                ${e.actorUserId ? html`<span class="muted">by ${memberName(members.items, e.actorUserId)}</span>` : ''}
              </li>`,
          )}
        </ol>
      </section>`,
  });
}

export function ticketsRouter(): Router {
  const router = Router();

  router.get('/tickets', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const services = servicesOf(req);
    const query = parseQuery(req);
    const filters: TicketFilters = {
      status: (query.status || undefined) as TicketFilters['status'],
      priority: (query.priority || undefined) as TicketFilters['priority'],
      assignee: query.assignee || undefined,
      cursor: query.cursor || undefined,
      limit: 25,
    };
    const [page, members] = await Promise.all([
      services.tickets.list(principal.organizationId, filters),
      listMembers(servicesOf(req).knex, principal.organizationId, { limit: 100 }, {}),
    ]);
    const region = listRegion(page.items, members.items, page.nextCursor, query);
    sendPage(req, res, {
      title: 'Tickets',
      fragment: region,
      main: html`<div class="page-header"><h1>Tickets</h1></div>
        ${filterForm(query, members.items, principal.userId!)} ${region}`,
    });
  });

  router.get('/tickets/:id', (req, res) => ticketPage(req, res));

  for (const kind of ['replies', 'notes'] as const) {
    router.post(`/tickets/:id/${kind}`, async (req: Request, res: Response) => {
      const { principal } = consoleUser(res);
      const id = idParam(req);
      const content = text(req.body, 'content');
      const key = text(req.body, 'clientMessageId');
      const clientMessageId = isUuid(key) ? key : randomUUID();
      // The button pressed: a reply may also set the ticket pending or resolved.
      const status = kind === 'replies' ? text(req.body, 'status') || undefined : undefined;
      let errors = validateAgainst(kind === 'replies' ? 'TicketReplyCreation' : 'TicketNoteCreation', {
        content,
        ...(status ? { status } : {}),
      });
      let failure: string | undefined;
      if (Object.keys(errors).length === 0) {
        try {
          const tickets = servicesOf(req).tickets;
          if (kind === 'replies') {
            await tickets.reply(principal, id, {
              content,
              clientMessageId: `agent-${clientMessageId}`,
              status: status as ReplyStatus,
            });
          } else
            await tickets.addNote(principal, id, { content, clientMessageId: `note-${clientMessageId}` });
          const done = kind === 'notes' ? 'note' : status ? `reply-${status}` : 'reply';
          res.redirect(303, `/console/tickets/${id}?done=${done}`);
          return;
        } catch (error) {
          const fields = problemFieldErrors(error);
          if (fields) errors = fields;
          else if (error instanceof HttpProblem && error.status === 503) failure = error.message;
          else throw error;
        }
      }
      const draft = { content, errors, clientMessageId, failure };
      await ticketPage(req, res, { [kind === 'replies' ? 'reply' : 'note']: draft });
    });
  }

  router.post('/tickets/:id/assign', async (req: Request, res: Response) => {
    const id = idParam(req);
    const userId = text(req.body, 'userId');
    await servicesOf(req).tickets.assign(consoleUser(res).principal, id, userId || undefined);
    res.redirect(303, `/console/tickets/${id}?done=assigned`);
  });

  router.post('/tickets/:id/status', async (req: Request, res: Response) => {
    const id = idParam(req);
    const status = text(req.body, 'status');
    if (!(SETTABLE_STATUSES as readonly string[]).includes(status))
      throw problems.validation([{ field: 'body.status', message: 'is not one of the statuses' }]);
    await servicesOf(req).tickets.setStatus(consoleUser(res).principal, id, status as SettableStatus);
    res.redirect(303, `/console/tickets/${id}?done=status`);
  });

  router.post('/tickets/:id/hand-back', async (req: Request, res: Response) => {
    const id = idParam(req);
    await servicesOf(req).tickets.handBack(consoleUser(res).principal, id);
    res.redirect(303, `/console/tickets/${id}?done=handed-back`);
  });

  return router;
}
