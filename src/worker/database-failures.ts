import { ApplicationFailure } from '@temporalio/common';
import type { ActivityExecuteInput, ActivityInboundCallsInterceptor, Next } from '@temporalio/worker';
import { DBError, ValidationError } from 'objection';
import { DATABASE_FAILURES } from '../workflows/contracts';

/**
 * Database errors that the same attempt would meet again: SQLSTATE class 22 (data exception: a NUL
 * in text, a number out of range, invalid input for a type) and class 23 (integrity constraint
 * violation), and the models' own refusal of unstorable text. Retried, they failed every 30 s
 * forever and held the workflow (a ticket's every later change answered 503). As non-retryable
 * ApplicationFailures they fail the one update fast, with a type the API maps to a status.
 * Connection failures (08), shutdowns (57P), serialization failures and deadlocks (40) stay retryable.
 */
export function nonRetryableDatabaseFailure(error: unknown): ApplicationFailure | undefined {
  if (error instanceof ApplicationFailure) return undefined;
  if (error instanceof ValidationError && error.type === 'ModelValidation') {
    return ApplicationFailure.create({
      type: DATABASE_FAILURES.refusedValue,
      message: `A value cannot be stored (${error.message}); retrying cannot help.`,
      nonRetryable: true,
      cause: error,
    });
  }
  const code = sqlState(error);
  if (!code) return undefined;
  const integrity = code.startsWith('23');
  return ApplicationFailure.create({
    type: integrity ? DATABASE_FAILURES.integrityViolation : DATABASE_FAILURES.refusedValue,
    message: `The database refused the change (SQLSTATE ${code}, ${integrity ? 'integrity constraint violation' : 'data exception'}); retrying cannot help.`,
    nonRetryable: true,
    cause: error as Error,
  });
}

/** The SQLSTATE of class 22 or 23 behind an error (Objection wraps pg's in DBError), if any. */
function sqlState(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 5; depth++) {
    const native = cause instanceof DBError ? (cause.nativeError as unknown) : cause;
    const code = (native as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code)) return code;
    cause = (native as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Applies the classification to every activity the worker runs, so no activity can forget it. */
export class DatabaseFailureInterceptor implements ActivityInboundCallsInterceptor {
  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    try {
      return await next(input);
    } catch (error) {
      throw nonRetryableDatabaseFailure(error) ?? error;
    }
  }
}
