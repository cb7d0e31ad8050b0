import type { Logger } from './logger';
import { backoffDelay } from './retry';

/**
 * Probes a dependency from boot until it first answers, with backoff, logging each failure;
 * so a process started before its database says so loudly instead of failing later or spinning.
 * Returns a function that stops the probing.
 */
export function watchDependency(logger: Logger, name: string, probe: () => Promise<unknown>): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = (n: number): void => {
    probe().then(
      () => {
        if (n > 0) logger.info({ dependency: name }, `${name} reachable`);
      },
      (error: unknown) => {
        if (stopped) return;
        const delay = backoffDelay(n);
        logger.warn({ dependency: name, err: error, retryInMs: delay }, `${name} unreachable; retrying`);
        timer = setTimeout(() => attempt(n + 1), delay);
      },
    );
  };
  attempt(0);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
