import type { Knex } from 'knex';
import { Invitation, Membership, Organization, Subscription, UsageCounter, UsageEvent } from '../db/models';
import { PLAN_CATALOG, type Plan } from '../domain/plans';
import { problems } from '../lib/problem';
import { emitWebhookEvent } from './webhooks';

/** Shares of the plan's messages at which `usage.threshold` is announced. */
const USAGE_THRESHOLDS = [0.8, 1];
import type { Integer } from '../domain/schemas';

/**
 * Usage metering. Each counted thing (an answered visitor message) is an event recorded once — the
 * unique (organization, metric, subject) key makes a retried turn count nothing twice — and a counter
 * per billing period that quota checks read in one row.
 *
 * The billing period is the Stripe subscription's current period for paying organizations (the
 * subscription workflow writes it; when Stripe starts a new period the counter starts again from zero)
 * and the calendar month (UTC) on Free.
 */

export type Metric = 'messages';

export interface UsagePeriod {
  /** The key of the period's counters: its first day (UTC), YYYY-MM-DD. */
  start: string;
  startsAt: Date;
  endsAt: Date;
}

const isoDate = (date: Date) => date.toISOString().slice(0, 10);

export function calendarPeriod(now = new Date()): UsagePeriod {
  const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const endsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start: isoDate(startsAt), startsAt, endsAt };
}

/** The organization's current billing period. */
export async function usagePeriod(
  db: Knex | Knex.Transaction,
  organizationId: string,
  now = new Date(),
): Promise<UsagePeriod> {
  const subscription = await Subscription.query(db).forOrganization(organizationId).first();
  if (subscription && subscription.plan !== 'free') {
    const { currentPeriodStart: startsAt, currentPeriodEnd: endsAt } = subscription;
    if (startsAt && endsAt) return { start: isoDate(startsAt), startsAt, endsAt };
  }
  return calendarPeriod(now);
}

export async function recordUsage(
  trx: Knex.Transaction,
  organizationId: string,
  metric: Metric,
  subjectId: string,
  now = new Date(),
): Promise<boolean> {
  const period = (await usagePeriod(trx, organizationId, now)).start;
  const inserted = (await UsageEvent.query(trx)
    .forOrganization(organizationId)
    .insert({ metric, subjectId, quantity: 1, periodStart: period })
    .onConflict(['organization_id', 'metric', 'subject_id'])
    .ignore()) as UsageEvent | undefined;
  if (!inserted?.id) return false;
  const counted = await trx.raw<{ rows: { quantity: string }[] }>(
    `insert into usage_counters (organization_id, metric, period_start, quantity) values (?, ?, ?, 1)
     on conflict (organization_id, metric, period_start) do update set quantity = usage_counters.quantity + 1
     returning quantity`,
    [organizationId, metric, period],
  );
  const quantity = Number(counted.rows[0]!.quantity);
  const organization = await Organization.query(trx).findById(organizationId).select('plan');
  const limit = organization ? PLAN_CATALOG[organization.plan].monthlyMessages : null;
  // The counter moves one at a time, so each threshold is crossed by exactly one message.
  const threshold =
    limit === null ? undefined : USAGE_THRESHOLDS.find((t) => quantity === Math.ceil(limit * t));
  if (threshold !== undefined) {
    await emitWebhookEvent(trx, organizationId, 'usage.threshold', {
      metric,
      threshold: threshold * 100,
      used: quantity,
      limit,
      periodStart: period,
    });
  }
  return true;
}

export async function usageThisPeriod(
  db: Knex | Knex.Transaction,
  organizationId: string,
  metric: Metric,
  now = new Date(),
): Promise<number> {
  const period = await usagePeriod(db, organizationId, now);
  const counter = await UsageCounter.query(db)
    .forOrganization(organizationId)
    .findOne({ metric, periodStart: period.start });
  return counter ? Number(counter.quantity) : 0;
}

/**
 * Seats in use: memberships plus pending (unexpired, unaccepted) invitations, so inviting cannot
 * promise more seats than the plan has.
 */
export async function seatsInUse(db: Knex | Knex.Transaction, organizationId: string): Promise<number> {
  const [members, pending] = await Promise.all([
    Membership.query(db).forOrganization(organizationId).resultSize(),
    Invitation.query(db)
      .forOrganization(organizationId)
      .whereNull('acceptedAt')
      .where('expiresAt', '>', new Date())
      .resultSize(),
  ]);
  return members + pending;
}

/** What a plan limits: visitor messages a month, or seats (members and pending invitations). */
export type UsageMetric = 'messages' | 'seats';

export interface MetricUsage {
  metric: UsageMetric;
  used: Integer;
  /** null: unlimited on this plan. */
  limit: Integer | null;
}

export interface UsageSummary {
  plan: Plan;
  periodStart: Date;
  periodEnd: Date;
  metrics: MetricUsage[];
}

export async function usageSummary(knex: Knex, organizationId: string): Promise<UsageSummary> {
  const organization = await Organization.query(knex).findById(organizationId).throwIfNotFound();
  const limits = PLAN_CATALOG[organization.plan];
  const [period, messages, seats] = await Promise.all([
    usagePeriod(knex, organizationId),
    usageThisPeriod(knex, organizationId, 'messages'),
    seatsInUse(knex, organizationId),
  ]);
  return {
    plan: organization.plan,
    periodStart: period.startsAt,
    periodEnd: period.endsAt,
    metrics: [
      { metric: 'messages', used: messages, limit: limits.monthlyMessages },
      { metric: 'seats', used: seats, limit: limits.seats },
    ],
  };
}

/** One line of the usage export, for reconciliation with Stripe's invoices. */
export interface UsageEventView {
  id: string;
  /** Usage events are metered messages. */
  metric: Metric;
  subjectId: string;
  quantity: Integer;
  periodStart: string;
  createdAt: Date;
}

/**
 * A page of usage events in the order they were recorded (keyset on the id), optionally within
 * [from, to). The cursor is the last id returned.
 */
export async function usageEventsPage(
  knex: Knex,
  organizationId: string,
  options: { limit: number; cursor?: string; from?: Date; to?: Date },
): Promise<{ items: UsageEventView[]; nextCursor: string | null }> {
  const query = UsageEvent.query(knex)
    .forOrganization(organizationId)
    .select('id', 'metric', 'subjectId', 'quantity', 'createdAt')
    .select(knex.raw(`to_char(period_start, 'YYYY-MM-DD') as period_start`))
    .orderBy('id')
    .limit(options.limit + 1);
  if (options.cursor) query.where('id', '>', options.cursor);
  if (options.from) query.where('createdAt', '>=', options.from);
  if (options.to) query.where('createdAt', '<', options.to);
  const rows = await query;
  const items = rows.slice(0, options.limit).map((row) => ({
    id: String(row.id),
    metric: row.metric as Metric,
    subjectId: row.subjectId,
    quantity: row.quantity,
    periodStart: row.periodStart,
    createdAt: row.createdAt,
  }));
  return {
    items,
    nextCursor: rows.length > options.limit ? (items[items.length - 1]?.id ?? null) : null,
  };
}

/** The limits that refuse anonymous visitors before a tenant's quota is spent (see recordRefusal). */
export type RefusingLimit =
  'widget_sessions_per_ip' | 'widget_sessions_per_key' | 'anonymous_messages_per_hour';

/**
 * Records what a limit refused, as a usage event `refused.sessions` or `refused.messages` whose
 * subject names the limit and its window (`anonymous_messages_per_hour:2026-12-06T13`), the quantity
 * counting the refusals in that window: the usage export shows what was not served, and why.
 */
export async function recordRefusal(
  knex: Knex,
  organizationId: string,
  what: 'sessions' | 'messages',
  limit: RefusingLimit,
  window: string,
): Promise<void> {
  const period = (await usagePeriod(knex, organizationId)).start;
  await knex.raw(
    `insert into usage_events (organization_id, metric, subject_id, quantity, period_start) values (?, ?, ?, 1, ?)
     on conflict (organization_id, metric, subject_id) do update set quantity = usage_events.quantity + 1`,
    [organizationId, `refused.${what}`, `${limit}:${window}`, period],
  );
}

/** When the organization's anonymous message budget last refused messages (within a day), and how many. */
export async function recentBudgetRefusal(
  knex: Knex,
  organizationId: string,
): Promise<{ hour: string; refused: number } | undefined> {
  const event = await UsageEvent.query(knex)
    .forOrganization(organizationId)
    .where('metric', 'refused.messages')
    .where('subjectId', 'like', 'anonymous_messages_per_hour:%')
    .where('createdAt', '>', new Date(Date.now() - 24 * 3600 * 1000))
    .orderBy('createdAt', 'desc')
    .first();
  return event
    ? { hour: event.subjectId.slice('anonymous_messages_per_hour:'.length), refused: event.quantity }
    : undefined;
}

/** The current hour (UTC), as refusal windows name it: 2026-12-06T13. */
export const hourWindow = (now = new Date()): string => now.toISOString().slice(0, 13);
export const minuteWindow = (now = new Date()): string => now.toISOString().slice(0, 16);

/** Refuses new API messages once the period's answered messages reach the plan's limit (402). */
export async function assertMessageQuota(db: Knex | Knex.Transaction, organizationId: string): Promise<void> {
  const organization = await Organization.query(db).findById(organizationId).throwIfNotFound();
  const plan = PLAN_CATALOG[organization.plan];
  if (plan.monthlyMessages === null) return;
  const used = await usageThisPeriod(db, organizationId, 'messages');
  if (used < plan.monthlyMessages) return;
  const period = await usagePeriod(db, organizationId);
  throw problems.paymentRequired(
    `The ${plan.name} plan's ${plan.monthlyMessages} messages for this billing period are used up; ` +
      `the assistant answers again from ${period.endsAt.toISOString()} or after an upgrade.`,
    { metric: 'messages', limit: plan.monthlyMessages, used, plan: plan.id, periodEnd: period.endsAt },
  );
}
