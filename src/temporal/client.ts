import { Client, Connection } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import { backoffDelay, sleep } from '../lib/retry';

/**
 * The API's connection to Temporal. It connects in the background and keeps retrying with backoff,
 * so the API can start (and report 503 on /readyz) while Temporal is still down.
 */
export class TemporalGateway {
  private client: Client | undefined;
  private connection: Connection | undefined;
  private readonly ready: Promise<Client>;
  private readonly closing = new AbortController();

  constructor(
    private readonly config: Config['temporal'],
    private readonly logger: Logger,
  ) {
    this.ready = this.connectWithRetry();
    // Callers await `getClient()`; this keeps an unobserved failure from crashing the process.
    this.ready.catch(() => undefined);
  }

  private async connectWithRetry(): Promise<Client> {
    for (let attempt = 0; ; attempt++) {
      if (this.closing.signal.aborted) throw new Error('Temporal gateway closed');
      try {
        this.connection = await Connection.connect({ address: this.config.address, connectTimeout: '5s' });
        this.client = new Client({
          connection: this.connection,
          namespace: this.config.namespace,
          // Workflow starts join the caller's trace (no-ops while tracing is off).
          interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
        });
        if (attempt > 0) this.logger.info({ address: this.config.address }, 'connected to Temporal');
        return this.client;
      } catch (error) {
        const delay = backoffDelay(attempt);
        this.logger.warn(
          { err: error, address: this.config.address, retryInMs: delay },
          'Temporal unreachable; retrying',
        );
        await sleep(delay, this.closing.signal);
      }
    }
  }

  /** Resolves once connected; rejects after `timeoutMs` so requests fail fast while Temporal is down. */
  async getClient(timeoutMs = 5_000): Promise<Client> {
    if (this.client) return this.client;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TemporalUnavailableError()), timeoutMs);
    });
    try {
      return await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** True when the frontend answers a health check within the deadline. */
  async isHealthy(timeoutMs = 2_000): Promise<boolean> {
    if (!this.connection) return false;
    try {
      await this.connection.withDeadline(Date.now() + timeoutMs, () =>
        this.connection!.healthService.check({}),
      );
      return true;
    } catch {
      return false;
    }
  }

  get taskQueue(): string {
    return this.config.taskQueue;
  }

  get emailTaskQueue(): string {
    return this.config.emailTaskQueue;
  }

  get updateTimeoutMs(): number {
    return this.config.updateTimeoutMs;
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.connection?.close();
  }
}

export class TemporalUnavailableError extends Error {
  constructor() {
    super('Temporal is unreachable');
    this.name = 'TemporalUnavailableError';
  }
}
