/**
 * Sentry error reporting, only when SENTRY_DSN is set. The SDK is loaded on demand, so processes
 * without a DSN pay nothing for it.
 */
import type * as SentryNode from '@sentry/node';

type SentryModule = typeof SentryNode;

let sentry: SentryModule | undefined;

export async function initSentry(options: {
  dsn?: string;
  environment: string;
  serverName: string;
}): Promise<boolean> {
  if (!options.dsn) return false;
  sentry = await import('@sentry/node');
  sentry.init({
    dsn: options.dsn,
    environment: options.environment,
    serverName: options.serverName,
    // Errors only: traces go through OpenTelemetry (observability/tracing.ts), so neither Sentry's
    // spans nor its module-loading hooks that feed them are needed.
    tracesSampleRate: 0,
    enableRuntimeChannelInjection: false,
  });
  return true;
}

/** Reports an unexpected error with searchable tags (request id, organization, workflow). */
export function reportError(error: unknown, tags: Record<string, string | undefined> = {}): void {
  if (!sentry) return;
  const defined = Object.fromEntries(
    Object.entries(tags).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  sentry.captureException(error, { tags: defined });
}

/** Sends what is queued before the process exits. */
export async function flushSentry(timeoutMs = 2_000): Promise<void> {
  await sentry?.flush(timeoutMs);
}
