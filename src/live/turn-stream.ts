import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import { publish, type ParleyEvent } from '../lib/events';
import { redactUrl, type Logger } from '../lib/logger';
import { HttpProblem } from '../lib/problem';
import type { EventBus } from './event-bus';

type TokenEvent = Extract<ParleyEvent, { type: 'token' }>;

/** How long the stream waits for its own flush marker before ending without it (the bus is down). */
const FLUSH_WAIT_MS = 2_000;
const KEEPALIVE_MS = 15_000;

/**
 * A chat turn of the REST API streamed as server-sent events, relayed from the same event bus that
 * carries the widget's tokens: `accepted` (the stored visitor message), `token` pieces of the reply in
 * order, then `message` (the turn's outcome with the stored reply) or `error` (a problem document).
 *
 * It listens before the turn starts, so no token is missed, and keeps the tokens of the message it is
 * told about. When the turn is over, it sends itself a flush marker through PostgreSQL: NOTIFYs are
 * delivered in commit order, so every token the worker published before storing the reply has been
 * relayed when the marker comes back. A client that goes away stops the relay, never the turn.
 */
export class TurnStream {
  private readonly buffered: TokenEvent[] = [];
  private readonly flushes = new Map<string, () => void>();
  private readonly unsubscribe: () => void;
  private replyTo: string | undefined;
  private res: Response | undefined;
  private closed = false;

  constructor(
    private readonly deps: { bus: EventBus; knex: Knex; logger: Logger; publicUrl: string },
    private readonly scope: { organizationId: string; conversationId: string },
  ) {
    this.unsubscribe = deps.bus.onConversation(scope.conversationId, (event) => this.receive(event));
  }

  /** Stops listening; for a request refused before its turn started. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  /**
   * Streams the turn of `messageId`: `accepted` at once, its tokens as they come, then the value of
   * `finish` (which waits for the turn) as the `message` event. Resolves when the stream has ended,
   * with that value, or undefined when the turn failed or the client left first.
   */
  async relay<T>(
    req: Request,
    res: Response,
    messageId: string,
    accepted: unknown,
    finish: () => Promise<T>,
  ): Promise<T | undefined> {
    const left = new Promise<undefined>((resolve) =>
      res.on('close', () => {
        this.close();
        resolve(undefined);
      }),
    );
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    this.res = res;
    this.write('accepted', accepted);
    this.replyTo = messageId;
    for (const token of this.buffered.splice(0)) this.receive(token);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    try {
      const outcome = await Promise.race([finish(), left]);
      if (this.closed) return undefined;
      await Promise.race([this.flush(), left]);
      if (this.closed) return undefined;
      this.write('message', outcome);
      return outcome;
    } catch (error) {
      this.write('error', this.problemOf(error, req));
      return undefined;
    } finally {
      clearInterval(keepalive);
      this.close();
      res.end();
    }
  }

  private receive(event: ParleyEvent): void {
    if (this.closed) return;
    if (event.type === 'flush') {
      this.flushes.get(event.id)?.();
      return;
    }
    if (event.type !== 'token') return;
    if (this.replyTo === undefined) this.buffered.push(event);
    else if (event.replyTo === this.replyTo) this.write('token', { seq: event.seq, delta: event.delta });
  }

  /** Waits until every event committed so far has come through the bus (bounded: the bus may be down). */
  private async flush(): Promise<void> {
    if (!this.deps.bus.listening) return;
    const id = randomUUID();
    const back = new Promise<void>((resolve) => {
      this.flushes.set(id, resolve);
      setTimeout(resolve, FLUSH_WAIT_MS).unref();
    });
    await publish(this.deps.knex, { type: 'flush', ...this.scope, id });
    await back;
    this.flushes.delete(id);
  }

  private write(event: string, data: unknown): void {
    if (this.closed || !this.res) return;
    this.res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private problemOf(error: unknown, req: Request): unknown {
    const requestId = req.id as string; // set by pino-http's genReqId in app.ts
    if (error instanceof HttpProblem)
      return error.toDocument(redactUrl(req.originalUrl), requestId, this.deps.publicUrl);
    this.deps.logger.error({ err: error, requestId }, 'streamed turn failed');
    return new HttpProblem(
      'internal',
      `Something went wrong on our side. Quote request id ${requestId} when you contact support.`,
    ).toDocument(redactUrl(req.originalUrl), requestId, this.deps.publicUrl);
  }
}
