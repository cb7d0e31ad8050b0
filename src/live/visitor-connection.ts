import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { ParleyEvent } from '../lib/events';
import type { Config } from '../config';
import type { Logger } from '../lib/logger';
import { WidgetError, type VisitorIdentity, type VisitorService } from '../services/visitors';
import type { EventBus } from './event-bus';
import { PROTOCOL_VERSION, type ClientFrame, type ServerFrame } from './protocol';

/**
 * One visitor's live connection, whatever carries it (a WebSocket, or server-sent events plus
 * POSTs): it resumes from the visitor's last message, relays the conversation's events, and
 * carries out the visitor's frames. Messages are sent once per connection, in order of arrival.
 */

export interface LiveDeps {
  visitors: VisitorService;
  bus: EventBus;
  logger: Logger;
  /** Per-visitor limits, shared by all of a process's connections. */
  limits: VisitorLimits;
}

/**
 * Per visitor (messages, typing), and for new sessions per IP address and per widget key: a loop that
 * makes a new visitor per message meets the session limits, then the organization's hourly budget.
 */
export class VisitorLimits {
  readonly messages: RateLimiterMemory;
  readonly typing = new RateLimiterMemory({ points: 60, duration: 60 });
  readonly sessionsPerIp: RateLimiterMemory;
  readonly sessionsPerKey: RateLimiterMemory;

  constructor(
    config: Pick<
      Config['widget'],
      'messagesPerMinute' | 'sessionsPerIpPerMinute' | 'sessionsPerKeyPerMinute'
    >,
  ) {
    this.messages = new RateLimiterMemory({ points: config.messagesPerMinute, duration: 60 });
    this.sessionsPerIp = new RateLimiterMemory({ points: config.sessionsPerIpPerMinute, duration: 60 });
    this.sessionsPerKey = new RateLimiterMemory({ points: config.sessionsPerKeyPerMinute, duration: 60 });
  }
}

export class VisitorConnection {
  private unsubscribe: (() => void)[] = [];
  private pending: ParleyEvent[] | undefined = [];
  private readonly sent = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: LiveDeps,
    readonly identity: VisitorIdentity,
    private readonly send: (frame: ServerFrame) => void,
  ) {}

  /** Subscribes first, then sends the welcome with the history, so no event falls in between. */
  async open(lastMessageId?: string): Promise<void> {
    this.unsubscribe = [
      this.deps.bus.onConversation(this.identity.conversationId, (event) => {
        if (this.pending) this.pending.push(event);
        else this.enqueue(() => this.relay(event));
      }),
      // Messages stored while the bus was reconnecting announced themselves to nobody.
      this.deps.bus.onReconnect(() => this.enqueue(() => this.catchUp())),
    ];
    const [messages, unread, conversation] = await Promise.all([
      this.deps.visitors.history(this.identity, lastMessageId),
      this.deps.visitors.unreadCount(this.identity),
      this.deps.visitors.conversation(this.identity),
    ]);
    for (const message of messages) this.sent.add(message.id);
    this.send({
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      conversationId: this.identity.conversationId,
      visitorId: this.identity.visitorId,
      messages,
      unread,
      handledBy: conversation.handledBy,
    });
    const buffered = this.pending ?? [];
    this.pending = undefined;
    for (const event of buffered) this.enqueue(() => this.relay(event));
  }

  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
  }

  /** Carries out one client frame; problems come back as error frames, never as exceptions. */
  async handle(frame: ClientFrame): Promise<void> {
    const { visitors, limits } = this.deps;
    try {
      switch (frame.type) {
        case 'message':
        case 'escalate': {
          if (!(await consume(limits.messages, this.identity.visitorId))) {
            this.send({
              type: 'error',
              code: 'rate_limited',
              message: 'Too many messages; wait a moment and try again.',
            });
            return;
          }
          if (!(await visitors.withinMessageBudget(this.identity))) {
            this.send({
              type: 'error',
              code: 'rate_limited',
              message: 'The assistant is taking too many questions right now; try again later.',
            });
            return;
          }
          const message =
            frame.type === 'message'
              ? await visitors.send(this.identity, frame)
              : await visitors.escalate(this.identity, frame.clientMessageId);
          this.send({ type: 'ack', clientMessageId: frame.clientMessageId, messageId: message.id });
          return;
        }
        case 'typing':
          if (await consume(limits.typing, this.identity.visitorId))
            await visitors.typing(this.identity, frame.active);
          return;
        case 'read':
          await visitors.markRead(this.identity, frame.messageId);
          this.send({ type: 'unread', count: await visitors.unreadCount(this.identity) });
          return;
        case 'rate':
          await visitors.rate(this.identity, frame.rating);
          return;
        case 'ping':
          this.send({ type: 'pong' });
          return;
        case 'hello':
          this.send({ type: 'error', code: 'bad_frame', message: 'Already greeted.' });
          return;
      }
    } catch (error) {
      if (error instanceof WidgetError) {
        this.send({
          type: 'error',
          code: error.code === 'not_found' ? 'not_found' : 'invalid_message',
          message: error.message,
        });
      } else if ((error as { status?: number }).status === 422) {
        this.send({ type: 'error', code: 'invalid_message', message: (error as Error).message });
      } else {
        this.deps.logger.error(
          { err: error, conversationId: this.identity.conversationId },
          'widget frame failed',
        );
        this.send({ type: 'error', code: 'unavailable', message: 'Something went wrong; please try again.' });
      }
    }
  }

  /** Events are relayed one at a time, so a message is never overtaken by a later one. */
  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) => this.deps.logger.error({ err: error }, 'relaying an event failed'));
  }

  /** Sends, in order, the conversation's messages this connection has not sent yet. */
  private async catchUp(): Promise<void> {
    const missed = (await this.deps.visitors.history(this.identity)).filter((m) => !this.sent.has(m.id));
    for (const message of missed) {
      this.sent.add(message.id);
      this.send({ type: 'message', message });
    }
    if (missed.some((message) => message.role === 'assistant' || message.role === 'agent')) {
      this.send({ type: 'unread', count: await this.deps.visitors.unreadCount(this.identity) });
    }
  }

  private async relay(event: ParleyEvent): Promise<void> {
    switch (event.type) {
      case 'token':
        this.send({ type: 'token', replyTo: event.replyTo, seq: event.seq, delta: event.delta });
        return;
      case 'typing':
        if (event.who !== 'visitor') this.send({ type: 'typing', who: event.who, active: event.active });
        return;
      case 'read':
        if (event.by === 'agent') this.send({ type: 'read', by: 'agent', at: event.at });
        return;
      case 'message': {
        if (this.sent.has(event.messageId)) return;
        const message = await this.deps.visitors.visibleMessage(this.identity, event.messageId);
        if (!message) return;
        this.sent.add(message.id);
        const [wire] = await this.deps.visitors.toWire(this.identity, [message]);
        this.send({ type: 'message', message: wire! });
        if (message.role === 'assistant' || message.role === 'agent') {
          this.send({ type: 'unread', count: await this.deps.visitors.unreadCount(this.identity) });
        }
        return;
      }
      default:
        return;
    }
  }
}

async function consume(limiter: RateLimiterMemory, key: string): Promise<boolean> {
  try {
    await limiter.consume(key);
    return true;
  } catch (error) {
    if (error instanceof RateLimiterRes) return false;
    throw error;
  }
}
