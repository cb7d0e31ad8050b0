import type { Knex } from 'knex';
import { Membership, Notification } from '../db/models';
import { PREFERENCE_FIELDS, type NotificationPreferences } from '../domain/notifications';
import type { Email } from '../lib/mailer';
import { problems } from '../lib/problem';

/**
 * What members are told about tickets (written by the notification activity, src/activities/
 * notifications.ts) and how they want to hear it. Every query is scoped to the organization and the
 * member: a member reads and marks only their own notifications.
 */

const LIST_LIMIT = 50;

const mine = (knex: Knex, organizationId: string, userId: string) =>
  Notification.query(knex).forOrganization(organizationId).where('userId', userId);

/** The member's newest notifications, unread first. */
export async function listNotifications(
  knex: Knex,
  organizationId: string,
  userId: string,
): Promise<Notification[]> {
  return mine(knex, organizationId, userId)
    .orderByRaw('read_at is not null, created_at desc, id desc')
    .limit(LIST_LIMIT);
}

/** How many notifications the member has not read, and the newest of them (for the browser notification). */
export async function unreadSummary(
  knex: Knex,
  organizationId: string,
  userId: string,
): Promise<{ count: number; latest: Notification | undefined }> {
  const unread = () => mine(knex, organizationId, userId).whereNull('readAt');
  const [{ count }] = (await unread().count('* as count')) as unknown as [{ count: string }];
  const latest = await unread().orderBy('createdAt', 'desc').orderBy('id', 'desc').first();
  return { count: Number(count), latest };
}

/** Marks one of the member's notifications read; another member's or organization's is not found. */
export async function markNotificationRead(
  knex: Knex,
  organizationId: string,
  userId: string,
  id: string,
): Promise<Notification> {
  const notification = await mine(knex, organizationId, userId).findById(id);
  if (!notification) throw problems.notFound('The notification');
  if (!notification.readAt) {
    await mine(knex, organizationId, userId).findById(id).whereNull('readAt').patch({ readAt: new Date() });
  }
  return notification;
}

/** Marks every notification of the member read; returns how many were unread. */
export async function markAllNotificationsRead(
  knex: Knex,
  organizationId: string,
  userId: string,
): Promise<number> {
  return mine(knex, organizationId, userId).whereNull('readAt').patch({ readAt: new Date() });
}

export async function notificationPreferences(
  knex: Knex,
  organizationId: string,
  userId: string,
): Promise<NotificationPreferences> {
  const membership = await Membership.query(knex).forOrganization(organizationId).findOne({ userId });
  if (!membership) throw problems.notFound('The member');
  return Object.fromEntries(
    PREFERENCE_FIELDS.map((field) => [field, membership[field]]),
  ) as unknown as NotificationPreferences;
}

export async function updateNotificationPreferences(
  knex: Knex,
  organizationId: string,
  userId: string,
  preferences: NotificationPreferences,
): Promise<NotificationPreferences> {
  const changed = await Membership.query(knex)
    .forOrganization(organizationId)
    .where('userId', userId)
    .patch(preferences);
  if (changed === 0) throw problems.notFound('The member');
  return preferences;
}

/** The email that tells a member about a notification, with the link to its ticket. */
export function notificationEmail(to: string, notification: Notification, publicUrl: string): Email {
  const link = new URL(`/console/tickets/${notification.ticketId}`, publicUrl).toString();
  return {
    to,
    subject: notification.title,
    text: `${notification.body}\n\nOpen the ticket here:\n${link}\n\nYou can choose which events email you under Notifications in the console.\n`,
  };
}
