import type { NotificationKind } from '../db/models';

/** How a member wants to hear about tickets, per organization (columns of their membership). */
export interface NotificationPreferences {
  emailOnEscalation: boolean;
  emailOnVisitorMessage: boolean;
  emailOnSlaBreach: boolean;
  browserNotifications: boolean;
  notificationSound: boolean;
}

export const PREFERENCE_FIELDS = [
  'emailOnEscalation',
  'emailOnVisitorMessage',
  'emailOnSlaBreach',
  'browserNotifications',
  'notificationSound',
] as const satisfies readonly (keyof NotificationPreferences)[];

/** The preference that decides whether an event of `kind` emails the member. */
export const EMAIL_PREFERENCE: Record<NotificationKind, keyof NotificationPreferences> = {
  escalation: 'emailOnEscalation',
  visitor_message: 'emailOnVisitorMessage',
  sla_breach: 'emailOnSlaBreach',
};
