import type { Context as ActivityContext } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import {
  DefaultLogger,
  Runtime,
  type ActivityExecuteInput,
  type ActivityInboundCallsInterceptor,
  type ActivityInterceptorsFactory,
  type InjectedSinks,
  type LogLevel,
  type Next,
} from '@temporalio/worker';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import { Resource } from '@opentelemetry/resources';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../lib/logger';
import { reportError } from '../observability/sentry';
import type { Tracing } from '../observability/tracing';
import { DatabaseFailureInterceptor } from './database-failures';

const TEMPORAL_LEVELS: Record<string, LogLevel> = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
};

/**
 * Temporal's logs (the SDK's, Core's, and `log` calls in workflows and activities, which carry the
 * namespace, task queue, workflow id and run id, activity id and attempt) go through our pino logger.
 */
export function temporalLogger(logger: Logger): DefaultLogger {
  return new DefaultLogger(TEMPORAL_LEVELS[logger.level] ?? 'ERROR', (entry) => {
    const level = entry.level.toLowerCase() as 'trace' | 'debug' | 'info' | 'warn' | 'error';
    logger[level]({ ...entry.meta }, entry.message);
  });
}

/** Installs the process-wide Temporal runtime: logs through pino, Core metrics on a Prometheus port. */
export function installRuntime(logger: Logger, options: { host: string; metricsPort?: number }): void {
  Runtime.install({
    logger: temporalLogger(logger),
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} },
      metrics: options.metricsPort
        ? { prometheus: { bindAddress: `${options.host}:${options.metricsPort}` } }
        : undefined,
    },
  });
}

/**
 * Reports unexpected activity errors to Sentry (a no-op without SENTRY_DSN) with the workflow and
 * activity ids; deliberate failures (`ApplicationFailure`, e.g. an unreadable document) are not bugs.
 */
class ErrorReportingInterceptor implements ActivityInboundCallsInterceptor {
  constructor(private readonly ctx: ActivityContext) {}

  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    try {
      return await next(input);
    } catch (error) {
      if (!(error instanceof ApplicationFailure) && !this.ctx.cancellationSignal.aborted) {
        const { info } = this.ctx;
        this.ctx.log.warn('activity failed', { error: String(error) });
        reportError(error, {
          workflowId: info.workflowExecution?.workflowId,
          activityType: info.activityType,
          activityId: info.activityId,
          attempt: String(info.attempt),
        });
      }
      throw error;
    }
  }
}

/**
 * Activity interceptors, outermost first: database refusals made non-retryable (after the inner ones
 * saw the raw error: such a refusal is a bug to report, a value the edge should have refused),
 * tracing spans joined to the workflow's trace, then error reporting.
 */
export const activityInterceptors: ActivityInterceptorsFactory[] = [
  () => ({ inbound: new DatabaseFailureInterceptor() }),
  (ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) }),
  (ctx) => ({ inbound: new ErrorReportingInterceptor(ctx) }),
];

const NO_TRACING = { spanProcessor: new NoopSpanProcessor(), resource: Resource.empty() };

/**
 * The sink through which workflow spans leave the sandbox. Every worker of the bundle needs it, since
 * the bundle holds the tracing interceptors; without `tracing` the spans are dropped.
 */
export function workflowSinks(
  tracing: Pick<Tracing, 'spanProcessor' | 'resource'> = NO_TRACING,
): InjectedSinks<OpenTelemetrySinks> {
  return { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) };
}
