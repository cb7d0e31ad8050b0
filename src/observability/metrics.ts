import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Each process owns a registry (no global state, so tests and several workers in
 * one process do not mix their counts). Domain events are counted where they happen: in the worker's
 * activities, after the database has committed them.
 */

export interface DomainMetrics {
  registry: Registry;
  /** Chat turns answered, by outcome (answer, abstain, escalate, quota_exceeded). */
  turns: Counter<'outcome'>;
  /** Turns where the assistant said it could not answer from the knowledge base. */
  abstentions: Counter;
  /** Conversations handed to people, by whether a new ticket was opened. */
  escalations: Counter<'ticket'>;
  /** Document ingestions finished, by result (ready, unchanged, failed). */
  ingestions: Counter<'result'>;
  /** Chat turns the sweeper started for visitor messages whose own start never happened. */
  orphanedTurns: Counter;
}

export interface HttpMetrics {
  registry: Registry;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

function processRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  // Process CPU, memory, event-loop lag and GC: collected on scrape, nothing runs while idle.
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function createDomainMetrics(registry: Registry = processRegistry('worker')): DomainMetrics {
  return {
    registry,
    turns: new Counter({
      name: 'parley_chat_turns_total',
      help: 'Chat turns answered, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    abstentions: new Counter({
      name: 'parley_abstentions_total',
      help: 'Turns the assistant could not answer from the knowledge base',
      registers: [registry],
    }),
    escalations: new Counter({
      name: 'parley_escalations_total',
      help: 'Conversations handed to people (ticket: opened or existing)',
      labelNames: ['ticket'],
      registers: [registry],
    }),
    ingestions: new Counter({
      name: 'parley_ingestions_total',
      help: 'Document ingestions finished, by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    orphanedTurns: new Counter({
      name: 'parley_orphaned_turns_started_total',
      help: 'Chat turns started by the sweeper for visitor messages left without one',
      registers: [registry],
    }),
  };
}

/** An organization's answer-test pass rate (0–1) over its test sets' latest completed runs. */
export interface OrganizationPassRate {
  organizationId: string;
  passRate: number;
}

/**
 * `parley_answer_test_pass_rate{organization_id}` (#22), read from PostgreSQL at each scrape: the
 * stored runs are the truth, so every API process reports the same figure and none goes stale.
 */
export function registerPassRateGauge(
  registry: Registry,
  read: () => Promise<OrganizationPassRate[]>,
): Gauge<'organization_id'> {
  return new Gauge({
    name: 'parley_answer_test_pass_rate',
    help: "Answer tests passed (0-1) over the organization's test sets' latest completed runs",
    labelNames: ['organization_id'],
    registers: [registry],
    async collect() {
      const rates = await read();
      this.reset();
      for (const { organizationId, passRate } of rates)
        this.set({ organization_id: organizationId }, passRate);
    },
  });
}

export function createHttpMetrics(registry: Registry = processRegistry('api')): HttpMetrics {
  return {
    registry,
    requestDuration: new Histogram({
      name: 'parley_http_request_duration_seconds',
      help: 'HTTP request latency by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
  };
}

/**
 * Times every request. The label is the matched route pattern (`/v1/conversations/:conversationId`),
 * never the raw path, so ids cannot blow up the number of series; unmatched paths share one label.
 */
export function httpMetricsMiddleware(metrics: HttpMetrics): RequestHandler {
  return (req, res, next) => {
    const stop = metrics.requestDuration.startTimer();
    res.once('finish', () => {
      const pattern = (req.route as { path?: string } | undefined)?.path;
      const route = pattern ? `${req.baseUrl}${pattern}` : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** Serves a registry in the Prometheus text format. */
export async function renderMetrics(registry: Registry): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}
