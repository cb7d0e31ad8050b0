import type { Knex } from 'knex';
import { problems } from '../lib/problem';
import type { Integer } from '../domain/schemas';

/**
 * The organization's support figures over a date range, computed in PostgreSQL. Shared by the REST API
 * (`GET /v1/analytics`) and the console's charts. Conversations count in the range they started in;
 * tickets in the range they were opened in; messages, latencies and breaches when they happened.
 */

/** A duration's figures, every one in milliseconds (the one unit of durations in analytics). */
export interface DurationStats {
  /** Mean, in milliseconds; null when there is nothing to measure. */
  average: Integer | null;
  /** Median, in milliseconds; null when there is nothing to measure. */
  p50: Integer | null;
  /** 95th percentile, in milliseconds; null when there is nothing to measure. */
  p95: Integer | null;
  /** How many durations the figures are based on (replies, or tickets). */
  count: Integer;
}

/** One UTC day's counts. */
export interface DailyFigures {
  /** The day (UTC), YYYY-MM-DD. */
  date: string;
  conversations: Integer;
  messages: Integer;
  escalations: Integer;
  abstentions: Integer;
}

export interface AnalyticsReport {
  from: Date;
  to: Date;
  /**
   * Conversations started in the range: those in which the visitor wrote (the base of the rates). A
   * page that loaded the widget without a message is a session, not a conversation.
   */
  conversations: Integer;
  /** Messages exchanged in the range (visitor, assistant and agents; internal notes excluded). */
  messages: Integer;
  visitorMessages: Integer;
  /**
   * Share (0..1) of conversations the assistant resolved: it answered from the documents at
   * least once and no ticket was opened. Null with none. A question left unanswered (an abstention
   * only, or no reply at all while no worker ran) is not a resolution.
   */
  aiResolutionRate: number | null;
  /** Share (0..1) of conversations escalated to a ticket; null with none. */
  escalationRate: number | null;
  /** Escalated conversations (tickets opened) in the range. */
  escalations: Integer;
  /** Answers in which the assistant said the documents do not cover the question. */
  abstentions: Integer;
  csat: {
    /** Average rating from 1 to 5; null when nobody rated. */
    average: number | null;
    responses: Integer;
  };
  /** How long the assistant took to answer a visitor message. */
  responseTime: DurationStats;
  /** From a ticket's opening to the first agent reply. */
  firstResponseTime: DurationStats;
  /** From a ticket's opening to its resolution. */
  resolutionTime: DurationStats;
  /** Service-level targets missed in the range. */
  slaBreaches: { firstResponse: Integer; resolution: Integer };
  daily: DailyFigures[];
}

export interface AnalyticsRange {
  from?: Date;
  to?: Date;
}

const DAY_MS = 86_400_000;
export const DEFAULT_RANGE_DAYS = 30;
export const MAX_RANGE_DAYS = 366;

/** The range asked for, defaulting to the last 30 days; 422 when it is reversed or too long. */
export function resolveRange(range: AnalyticsRange, now = new Date()): { from: Date; to: Date } {
  const to = range.to ?? now;
  const from = range.from ?? new Date(to.getTime() - DEFAULT_RANGE_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) {
    throw problems.validation([{ field: 'query.from', message: 'must be before `to`' }]);
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw problems.validation([
      { field: 'query.from', message: `the range is at most ${MAX_RANGE_DAYS} days` },
    ]);
  }
  return { from, to };
}

const num = (value: unknown): number => Number(value ?? 0);
const orNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const round = (value: number | null, digits = 4): number | null =>
  value === null ? null : Number(value.toFixed(digits));
/** A duration in whole milliseconds, or null when there is nothing to measure. */
const whole = (value: unknown): number | null => {
  const n = orNull(value);
  return n === null ? null : Math.round(n);
};

/** A conversation begins with the visitor's first message (`c` is the conversation). */
const STARTED = `exists (select 1 from messages m where m.conversation_id = c.id and m.role = 'visitor')`;

export async function computeAnalytics(
  knex: Knex,
  organizationId: string,
  range: AnalyticsRange,
): Promise<AnalyticsReport> {
  const { from, to } = resolveRange(range);
  const bounds = { org: organizationId, from, to };

  const [conversations, messages, tickets, breaches, daily] = await Promise.all([
    knex
      .raw(
        `select count(*) as conversations,
                count(*) filter (where exists (select 1 from tickets t where t.conversation_id = c.id))
                  as escalated,
                count(*) filter (where exists (
                  select 1 from messages m
                   where m.conversation_id = c.id and m.role = 'assistant' and m.outcome = 'answer')
                  and not exists (select 1 from tickets t where t.conversation_id = c.id)) as resolved,
                avg(c.csat_rating) as csat_average,
                count(c.csat_rating) as csat_responses
           from conversations c
          where c.organization_id = :org and c.created_at >= :from and c.created_at < :to
            and ${STARTED}`,
        bounds,
      )
      .then((r: { rows: Record<string, unknown>[] }) => r.rows[0]!),
    knex
      .raw(
        `select count(*) as messages,
                count(*) filter (where role = 'visitor') as visitor_messages,
                count(*) filter (where role = 'assistant' and outcome = 'abstain') as abstentions,
                avg(latency_ms) filter (where role = 'assistant' and latency_ms is not null) as latency_avg,
                count(latency_ms) filter (where role = 'assistant') as latency_count,
                percentile_cont(0.5) within group (order by latency_ms)
                  filter (where role = 'assistant' and latency_ms is not null) as latency_p50,
                percentile_cont(0.95) within group (order by latency_ms)
                  filter (where role = 'assistant' and latency_ms is not null) as latency_p95
           from messages
          where organization_id = :org and internal = false and created_at >= :from and created_at < :to`,
        bounds,
      )
      .then((r: { rows: Record<string, unknown>[] }) => r.rows[0]!),
    knex
      .raw(
        `with t as (
           select extract(epoch from first_response_at - created_at) * 1000 as first_response,
                  extract(epoch from resolved_at - created_at) * 1000 as resolution
             from tickets
            where organization_id = :org and created_at >= :from and created_at < :to)
         select count(*) as tickets,
                avg(first_response) as fr_avg,
                percentile_cont(0.5) within group (order by first_response) as fr_p50,
                percentile_cont(0.95) within group (order by first_response) as fr_p95,
                count(first_response) as fr_count,
                avg(resolution) as res_avg,
                percentile_cont(0.5) within group (order by resolution) as res_p50,
                percentile_cont(0.95) within group (order by resolution) as res_p95,
                count(resolution) as res_count
           from t`,
        bounds,
      )
      .then((r: { rows: Record<string, unknown>[] }) => r.rows[0]!),
    knex
      .raw(
        `select count(*) filter (where first_response_breached_at >= :from and first_response_breached_at < :to)
                  as first_response,
                count(*) filter (where resolution_breached_at >= :from and resolution_breached_at < :to)
                  as resolution
           from tickets
          where organization_id = :org
            and (first_response_breached_at is not null or resolution_breached_at is not null)`,
        bounds,
      )
      .then((r: { rows: Record<string, unknown>[] }) => r.rows[0]!),
    knex
      .raw(
        `with days as (
           select generate_series(date_trunc('day', :from::timestamptz at time zone 'UTC'),
                                  date_trunc('day', (:to::timestamptz - interval '1 millisecond') at time zone 'UTC'),
                                  interval '1 day') as day)
         select to_char(d.day, 'YYYY-MM-DD') as date,
                (select count(*) from conversations c
                  where c.organization_id = :org and c.created_at >= :from and c.created_at < :to
                    and ${STARTED}
                    and c.created_at at time zone 'UTC' >= d.day
                    and c.created_at at time zone 'UTC' < d.day + interval '1 day') as conversations,
                (select count(*) from messages m
                  where m.organization_id = :org and m.internal = false
                    and m.created_at >= :from and m.created_at < :to
                    and m.created_at at time zone 'UTC' >= d.day
                    and m.created_at at time zone 'UTC' < d.day + interval '1 day') as messages,
                (select count(*) from tickets t
                  where t.organization_id = :org and t.created_at >= :from and t.created_at < :to
                    and t.created_at at time zone 'UTC' >= d.day
                    and t.created_at at time zone 'UTC' < d.day + interval '1 day') as escalations,
                (select count(*) from messages m
                  where m.organization_id = :org and m.role = 'assistant' and m.outcome = 'abstain'
                    and m.created_at >= :from and m.created_at < :to
                    and m.created_at at time zone 'UTC' >= d.day
                    and m.created_at at time zone 'UTC' < d.day + interval '1 day') as abstentions
           from days d
          order by d.day`,
        bounds,
      )
      .then((r: { rows: Record<string, unknown>[] }) => r.rows),
  ]);

  const started = num(conversations.conversations);
  const escalated = num(conversations.escalated);
  const resolved = num(conversations.resolved);
  return {
    from,
    to,
    conversations: started,
    messages: num(messages.messages),
    visitorMessages: num(messages.visitor_messages),
    aiResolutionRate: started ? round(resolved / started) : null,
    escalationRate: started ? round(escalated / started) : null,
    escalations: num(tickets.tickets),
    abstentions: num(messages.abstentions),
    csat: {
      average: round(orNull(conversations.csat_average), 2),
      responses: num(conversations.csat_responses),
    },
    responseTime: {
      average: whole(messages.latency_avg),
      p50: whole(messages.latency_p50),
      p95: whole(messages.latency_p95),
      count: num(messages.latency_count),
    },
    firstResponseTime: {
      average: whole(tickets.fr_avg),
      p50: whole(tickets.fr_p50),
      p95: whole(tickets.fr_p95),
      count: num(tickets.fr_count),
    },
    resolutionTime: {
      average: whole(tickets.res_avg),
      p50: whole(tickets.res_p50),
      p95: whole(tickets.res_p95),
      count: num(tickets.res_count),
    },
    slaBreaches: { firstResponse: num(breaches.first_response), resolution: num(breaches.resolution) },
    daily: daily.map((d) => ({
      date: String(d.date),
      conversations: num(d.conversations),
      messages: num(d.messages),
      escalations: num(d.escalations),
      abstentions: num(d.abstentions),
    })),
  };
}
