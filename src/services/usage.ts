import type { Knex } from 'knex';
import { UsageCounter, UsageEvent } from '../db/models';

/**
 * Usage metering. Each counted thing (an answered visitor message) is an event recorded once — the
 * unique (organization, metric, subject) key makes a retried turn count nothing twice — and a counter
 * per calendar month (UTC) that quota checks read in one row.
 */

export type Metric = 'messages';

export function periodStart(now = new Date()): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString().slice(0, 10);
}

export async function recordUsage(
  trx: Knex.Transaction,
  organizationId: string,
  metric: Metric,
  subjectId: string,
  now = new Date(),
): Promise<boolean> {
  const period = periodStart(now);
  const inserted = (await UsageEvent.query(trx)
    .forOrganization(organizationId)
    .insert({ metric, subjectId, quantity: 1, periodStart: period })
    .onConflict(['organization_id', 'metric', 'subject_id'])
    .ignore()) as UsageEvent | undefined;
  if (!inserted?.id) return false;
  await trx.raw(
    `insert into usage_counters (organization_id, metric, period_start, quantity) values (?, ?, ?, 1)
     on conflict (organization_id, metric, period_start) do update set quantity = usage_counters.quantity + 1`,
    [organizationId, metric, period],
  );
  return true;
}

export async function usageThisPeriod(
  db: Knex | Knex.Transaction,
  organizationId: string,
  metric: Metric,
  now = new Date(),
): Promise<number> {
  const counter = await UsageCounter.query(db)
    .forOrganization(organizationId)
    .findOne({ metric, periodStart: periodStart(now) });
  return counter ? Number(counter.quantity) : 0;
}
