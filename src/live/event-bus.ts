import { Client } from 'pg';
import { EVENTS_CHANNEL, type ParleyEvent } from '../lib/events';
import type { Logger } from '../lib/logger';
import { backoffDelay, sleep } from '../lib/retry';

type Listener = (event: ParleyEvent) => void;
type EventOf<T extends ParleyEvent['type']> = Extract<ParleyEvent, { type: T }>;

/**
 * The API process's end of the live events: one PostgreSQL connection LISTENing on the events
 * channel, fanning events out to the sockets and streams of the conversation they concern. It
 * reconnects with backoff, then tells `onReconnect` listeners, which catch up on what they missed
 * (a client that reconnects resumes from its last message id).
 */
export class EventBus {
  private readonly byConversation = new Map<string, Set<Listener>>();
  private readonly byOrganization = new Map<string, Set<Listener>>();
  private readonly byType = new Map<string, Set<Listener>>();
  private readonly reconnected = new Set<() => void>();
  private client: Client | undefined;
  private connectedBefore = false;
  private readonly stopping = new AbortController();

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Connects in the background; resolves once the first LISTEN is in place (or on stop). */
  start(): Promise<void> {
    return new Promise((resolve) => {
      void this.run(resolve);
    });
  }

  private async run(onListening: () => void): Promise<void> {
    for (let attempt = 0; !this.stopping.signal.aborted; attempt++) {
      const client = new Client({ connectionString: this.databaseUrl });
      try {
        const lost = new Promise<void>((resolve) => {
          client.on('error', () => resolve());
          client.on('end', () => resolve());
        });
        await client.connect();
        client.on('notification', (n) => this.dispatch(n.payload));
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
        this.client = client;
        attempt = 0;
        onListening();
        if (this.connectedBefore) this.announceReconnection();
        this.connectedBefore = true;
        await Promise.race([
          lost,
          new Promise((resolve) => this.stopping.signal.addEventListener('abort', resolve)),
        ]);
      } catch (error) {
        this.logger.warn({ err: error }, 'event bus: PostgreSQL unreachable; retrying');
      }
      await client.end().catch(() => undefined);
      this.client = undefined;
      if (!this.stopping.signal.aborted) await sleep(backoffDelay(attempt), this.stopping.signal);
    }
    onListening();
  }

  private dispatch(payload: string | undefined): void {
    if (!payload) return;
    let event: ParleyEvent;
    try {
      event = JSON.parse(payload) as ParleyEvent;
    } catch {
      return;
    }
    const targets = [
      ...('conversationId' in event ? (this.byConversation.get(event.conversationId) ?? []) : []),
      ...(this.byOrganization.get(event.organizationId) ?? []),
      ...(this.byType.get(event.type) ?? []),
    ];
    for (const listener of targets) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error }, 'event listener failed');
      }
    }
  }

  /** Events of one conversation; returns the unsubscribe function. */
  onConversation(conversationId: string, listener: Listener): () => void {
    return add(this.byConversation, conversationId, listener);
  }

  /** Every event of one organization (the console's live views). */
  onOrganization(organizationId: string, listener: Listener): () => void {
    return add(this.byOrganization, organizationId, listener);
  }

  /**
   * Called after the LISTEN connection was lost and is back: events sent meanwhile were missed, so
   * what relays them must catch up from the database. Returns the unsubscribe function.
   */
  onReconnect(listener: () => void): () => void {
    this.reconnected.add(listener);
    return () => this.reconnected.delete(listener);
  }

  private announceReconnection(): void {
    for (const listener of this.reconnected) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, 'reconnection listener failed');
      }
    }
  }

  /** Every event of one type, whatever its organization or conversation. */
  onType<T extends ParleyEvent['type']>(type: T, listener: (event: EventOf<T>) => void): () => void {
    return add(this.byType, type, listener as Listener);
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.client?.end().catch(() => undefined);
  }
}

function add(map: Map<string, Set<Listener>>, key: string, listener: Listener): () => void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(listener);
  return () => {
    set.delete(listener);
    if (set.size === 0) map.delete(key);
  };
}
