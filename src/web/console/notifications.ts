import { Router, type Request, type Response } from 'express';
import { servicesOf } from '../../api/services';
import type { Notification } from '../../db/models';
import {
  listNotifications,
  markAllNotificationsRead,
  markNotificationRead,
  notificationPreferences,
  unreadSummary,
  updateNotificationPreferences,
} from '../../services/notifications';
import { PREFERENCE_FIELDS, type NotificationPreferences } from '../../domain/notifications';
import { html, type SafeHtml } from '../html';
import {
  bellIcon,
  contextOf,
  csrfField,
  NOTIFICATION_BADGE_ID,
  sendPage,
  timeTag,
  wantsFragment,
  type PageContext,
} from '../layout';
import { consoleUser, idParam } from './request';

/**
 * The member's notifications (a visitor asked for a person, wrote on their ticket, a target was
 * missed), their preferences, and the badge in the console header: a fragment that polls itself every
 * few seconds, as the console's other live parts do. The console script (src/web/assets/console.js)
 * reads the badge's data to show a browser notification and play a sound when the member wants them.
 */

const BADGE_POLL = 'every 3s';

/** The header's link to the notifications, with the unread count. */
export function notificationBadge(
  unread: number,
  latest: Notification | undefined,
  preferences: Pick<NotificationPreferences, 'browserNotifications' | 'notificationSound'>,
): SafeHtml {
  const label = unread === 0 ? 'Notifications' : `Notifications, ${unread} unread`;
  return html`<a
    id="${NOTIFICATION_BADGE_ID}"
    class="notification-link"
    href="/console/notifications"
    aria-label="${label}"
    hx-get="/console/notifications/badge"
    hx-trigger="${BADGE_POLL}"
    hx-swap="outerHTML"
    data-unread="${String(unread)}"
    data-latest-id="${latest?.id ?? ''}"
    data-latest-title="${latest?.title ?? ''}"
    data-browser="${String(preferences.browserNotifications)}"
    data-sound="${String(preferences.notificationSound)}"
    >${bellIcon}${unread > 0 ? html`<span class="notification-count" aria-hidden="true">${String(unread)}</span>` : ''}</a
  >`;
}

const KIND_LABEL: Record<Notification['kind'], string> = {
  escalation: 'Hand-off',
  visitor_message: 'Visitor wrote',
  sla_breach: 'Target missed',
};

function notificationItem(ctx: PageContext, n: Notification): SafeHtml {
  return html`<li class="notification ${n.readAt ? 'read' : 'unread'}" id="notification-${n.id}">
    <div class="notification-head">
      <span class="badge">${KIND_LABEL[n.kind]}</span>
      <a href="/console/tickets/${n.ticketId}"><strong>${n.title}</strong></a>
      <span class="muted">${timeTag(n.createdAt)}</span>
    </div>
    <p class="notification-body">${n.body}</p>
    ${
      n.readAt
        ? ''
        : html`<form method="post" action="/console/notifications/${n.id}/read" class="inline">
            ${csrfField(ctx)}
            <button type="submit" class="link-button">Mark read</button>
          </form>`
    }
  </li>`;
}

const PREFERENCE_LABELS: Record<(typeof PREFERENCE_FIELDS)[number], string> = {
  emailOnEscalation: 'Email me when a visitor asks for a person',
  emailOnVisitorMessage: 'Email me when a visitor writes on a ticket assigned to me',
  emailOnSlaBreach: 'Email me when a ticket misses its service-level target',
  browserNotifications: 'Show a browser notification while the console is open',
  notificationSound: 'Play a short sound with it',
};

function preferencesForm(ctx: PageContext, preferences: NotificationPreferences, saved: boolean): SafeHtml {
  return html`<section class="card" id="notification-preferences">
    <h2>Preferences</h2>
    ${saved ? html`<p class="alert alert-success" role="status">Preferences saved.</p>` : ''}
    <form method="post" action="/console/notifications/preferences">
      ${csrfField(ctx)}
      <fieldset class="choices">
        <legend>How you are told</legend>
        ${PREFERENCE_FIELDS.map(
          (field) =>
            html`<label
              ><input type="checkbox" name="${field}" value="on" ${preferences[field] ? html`checked` : ''} />
              ${PREFERENCE_LABELS[field]}</label
            >`,
        )}
      </fieldset>
      <button type="submit" class="button">Save preferences</button>
    </form>
    <p class="hint">
      Browser notifications need your browser's permission, which it asks for only when you click here:
    </p>
    <button type="button" class="button secondary" data-notification-permission>
      Allow browser notifications
    </button>
    <span class="muted" data-notification-permission-status role="status"></span>
  </section>`;
}

async function notificationsPage(req: Request, res: Response, saved = false): Promise<void> {
  const { principal } = consoleUser(res);
  const { knex } = servicesOf(req);
  const ctx = contextOf(req, res);
  const userId = principal.userId!;
  const [items, preferences] = await Promise.all([
    listNotifications(knex, principal.organizationId, userId),
    notificationPreferences(knex, principal.organizationId, userId),
  ]);
  const unread = items.filter((n) => !n.readAt).length;
  sendPage(req, res, {
    title: 'Notifications',
    main: html`<div class="page-header">
        <h1>Notifications</h1>
        ${
          unread > 0
            ? html`<form method="post" action="/console/notifications/read-all">
                ${csrfField(ctx)}
                <button type="submit" class="button secondary">Mark all read</button>
              </form>`
            : ''
        }
      </div>
      <section class="card">
        ${
          items.length === 0
            ? html`<p class="muted">
                Nothing yet. You are told here when a visitor asks for a person, writes on a ticket assigned
                to you, or a ticket misses its target.
              </p>`
            : html`<ul class="notification-list">
                ${items.map((n) => notificationItem(ctx, n))}
              </ul>`
        }
      </section>
      ${preferencesForm(ctx, preferences, saved)}`,
  });
}

const back = (res: Response): void => res.redirect(303, '/console/notifications');

export function notificationsRouter(): Router {
  const router = Router();

  router.get('/notifications', (req, res) => notificationsPage(req, res));

  router.get('/notifications/badge', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const { knex } = servicesOf(req);
    const [summary, preferences] = await Promise.all([
      unreadSummary(knex, principal.organizationId, principal.userId!),
      notificationPreferences(knex, principal.organizationId, principal.userId!),
    ]);
    const badge = notificationBadge(summary.count, summary.latest, preferences);
    if (!wantsFragment(req)) {
      sendPage(req, res, { title: 'Notifications', main: html`<div class="card">${badge}</div>` });
      return;
    }
    res.vary('HX-Request').type('html').send(badge.toString());
  });

  router.post('/notifications/read-all', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    await markAllNotificationsRead(servicesOf(req).knex, principal.organizationId, principal.userId!);
    back(res);
  });

  router.post('/notifications/:id/read', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    await markNotificationRead(
      servicesOf(req).knex,
      principal.organizationId,
      principal.userId!,
      idParam(req),
    );
    back(res);
  });

  router.post('/notifications/preferences', async (req: Request, res: Response) => {
    const { principal } = consoleUser(res);
    const body = req.body as Record<string, unknown>;
    const preferences = Object.fromEntries(
      PREFERENCE_FIELDS.map((field) => [field, body[field] === 'on']),
    ) as unknown as NotificationPreferences;
    await updateNotificationPreferences(
      servicesOf(req).knex,
      principal.organizationId,
      principal.userId!,
      preferences,
    );
    await notificationsPage(req, res, true);
  });

  return router;
}
