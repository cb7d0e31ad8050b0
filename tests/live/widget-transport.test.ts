import net from 'node:net';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { Conversation, Message, type Organization } from '../../src/db/models';
import { publish } from '../../src/lib/events';
import type { ServerFrame } from '../../src/live/protocol';
import { WidgetTransport } from '../../src/web/widget/transport';
import { useTestApi } from '../helpers/api';
import { useTestDatabase } from '../helpers/db';
import { buildOrganization } from '../helpers/factories';
import { eventually } from '../helpers/tickets';
import { widgetSession } from '../helpers/widget';

const db = useTestDatabase();
const api = useTestApi(db);

/**
 * A TCP relay between the transport and the API: the test can cut every connection (the network
 * dropped), then hold new ones unanswered or refuse them until it lets them through again.
 */
class Relay {
  private readonly server = net.createServer((client) => this.accept(client));
  private readonly live = new Set<net.Socket>();
  private held: net.Socket[] = [];
  private mode: 'pass' | 'hold' | 'refuse' = 'pass';
  port = 0;

  constructor(private readonly target: number) {}

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Cuts every open connection; the next ones are held (or refused) until `release`. */
  cut(then: 'hold' | 'refuse' = 'hold'): void {
    this.mode = then;
    for (const socket of this.live) socket.destroy();
  }

  /** Connections waiting for the network to come back. */
  get waiting(): number {
    return this.held.length;
  }

  release(): void {
    this.mode = 'pass';
    const held = this.held;
    this.held = [];
    held.forEach((client) => this.pipe(client));
  }

  async stop(): Promise<void> {
    for (const socket of [...this.live, ...this.held]) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.live.add(client);
    client.on('close', () => this.live.delete(client));
    client.on('error', () => client.destroy());
    if (this.mode === 'refuse') client.destroy();
    else if (this.mode === 'hold') this.held.push(client);
    else this.pipe(client);
  }

  private pipe(client: net.Socket): void {
    const upstream = net.connect(this.target, '127.0.0.1');
    this.live.add(upstream);
    upstream.on('close', () => {
      this.live.delete(upstream);
      client.destroy();
    });
    upstream.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  }
}

describe('the widget transport against the live endpoint', () => {
  let organization: Organization;
  let relay: Relay;
  const transports: WidgetTransport[] = [];

  beforeAll(async () => {
    organization = await buildOrganization({ plan: 'pro' });
    relay = new Relay(Number(new URL(api().baseUrl).port));
    await relay.start();
  });
  afterEach(() => {
    transports.splice(0).forEach((t) => t.close());
    relay.release();
  });
  afterAll(async () => {
    await relay.stop();
  });

  /** A transport through the relay, with the frames it hands on and the sockets it opened. */
  function visitorTransport(onOpen: (count: number) => void = () => undefined) {
    const frames: ServerFrame[] = [];
    const opened: number[] = [];
    let unauthorized = 0;
    const transport = new WidgetTransport({
      base: `http://127.0.0.1:${relay.port}`,
      key: organization.widgetKey,
      openSocket: (url) => {
        opened.push(Date.now());
        onOpen(opened.length);
        const socket = new WebSocket(url);
        // A browser's socket reports a failed connection as an event; `ws` throws an unheard 'error'.
        socket.on('error', () => undefined);
        return socket;
      },
      random: () => 0,
    });
    transport.on('frame', (frame) => frames.push(frame));
    transport.on('unauthorized', () => unauthorized++);
    transports.push(transport);
    const next = <T extends ServerFrame['type']>(
      type: T,
      test: (frame: Extract<ServerFrame, { type: T }>) => boolean = () => true,
      after = 0,
    ) =>
      eventually(
        () =>
          Promise.resolve(
            frames
              .slice(after)
              .find((f): f is Extract<ServerFrame, { type: T }> => f.type === type && test(f as never)),
          ),
        (frame) => frame !== undefined,
        `a ${type} frame`,
        15_000,
      ) as Promise<Extract<ServerFrame, { type: T }>>;
    return { transport, frames, opened, next, unauthorized: () => unauthorized };
  }

  async function session() {
    const started = await widgetSession(api().baseUrl, organization.widgetKey, 'https://www.example.com');
    expect(started.status).toBe(200);
    return started.data;
  }

  it('reconnects after the connection drops and resumes after the newest message it received', async () => {
    const visitor = await session();
    const { transport, frames, opened, next } = visitorTransport();
    transport.connect(visitor.token);
    await next('welcome');

    transport.send({ type: 'message', clientMessageId: 'first', content: 'Where is my order?' });
    const ack = await next('ack', (f) => f.clientMessageId === 'first');
    await next('message', (f) => f.message.id === ack.messageId);
    expect(transport.lastMessageId).toBe(ack.messageId);

    // The network drops; meanwhile a person answers, and the visitor sends another message.
    relay.cut();
    await eventually(
      () => Promise.resolve(relay.waiting),
      (waiting) => waiting === 1,
      'the transport to reconnect',
      15_000,
    );
    const seen = frames.length;
    const conversation = await Conversation.query()
      .forOrganization(organization.id)
      .findById(visitor.conversationId);
    const reply = await Message.query()
      .forOrganization(organization.id)
      .insert({ conversationId: conversation!.id, role: 'agent', content: 'It ships today.' })
      .returning('*');
    await publish(db(), {
      type: 'message',
      organizationId: organization.id,
      conversationId: conversation!.id,
      messageId: reply.id,
    });
    transport.send({ type: 'message', clientMessageId: 'second', content: 'Thanks!' });
    expect(frames.length).toBe(seen);

    relay.release();
    // The new socket's hello names the newest message received: the welcome carries only the reply.
    const welcome = await next('welcome', () => true, seen);
    expect(welcome.messages.map((m) => m.id)).toEqual([reply.id]);
    expect(opened).toHaveLength(2);
    // The message sent while disconnected went once the connection was back.
    const second = await next('ack', (f) => f.clientMessageId === 'second', seen);
    await next('message', (f) => f.message.id === second.messageId, seen);
    expect(transport.lastMessageId).toBe(second.messageId);
  });

  it('sends an unacknowledged message again with the same id after a reconnect, and it is stored once', async () => {
    const visitor = await session();
    const { transport, next, frames } = visitorTransport();
    transport.connect(visitor.token);
    await next('welcome');

    // Sent, then the connection drops at once: the server may or may not have stored it.
    transport.send({ type: 'message', clientMessageId: 'unsure', content: 'Do you ship to Norway?' });
    relay.cut();
    const seen = frames.length;
    relay.release();
    await next('welcome', () => true, seen);
    const ack = await next('ack', (f) => f.clientMessageId === 'unsure', seen);

    const stored = await Message.query()
      .forOrganization(organization.id)
      .where({ conversationId: visitor.conversationId, clientMessageId: 'unsure' });
    expect(stored.map((m) => m.id)).toEqual([ack.messageId]);
  });

  it('backs off between attempts that fail, and starts over once one is welcomed', async () => {
    const visitor = await session();
    // The third socket (the second attempt) gets through.
    const { transport, opened, next, frames } = visitorTransport((count) => {
      if (count === 3) relay.release();
    });
    transport.connect(visitor.token);
    await next('welcome');

    // The server goes away and refuses connections for a while: the first attempt fails at once.
    const cutAt = Date.now();
    const seen = frames.length;
    relay.cut('refuse');
    await next('welcome', () => true, seen);
    expect(opened).toHaveLength(3);
    // random() = 0: half of 500 ms, then half of 1 s (the jitter keeps at least half of each delay).
    expect(opened[1]! - cutAt).toBeGreaterThanOrEqual(250);
    expect(opened[2]! - opened[1]!).toBeGreaterThanOrEqual(500);
    expect(transport.fallback).toBe(false);

    // Welcomed again, the backoff starts over: the next drop waits 250 ms again, not 2 s.
    const cutAgainAt = Date.now();
    relay.cut('hold');
    await eventually(
      () => Promise.resolve(relay.waiting),
      (waiting) => waiting === 1,
      'the transport to reconnect',
      15_000,
    );
    expect(opened[3]! - cutAgainAt).toBeGreaterThanOrEqual(250);
    expect(opened[3]! - cutAgainAt).toBeLessThan(2_000);
  });

  it('reports a refused visitor token instead of reconnecting', async () => {
    const { transport, opened, unauthorized } = visitorTransport();
    transport.connect('forged-token');
    await eventually(
      () => Promise.resolve(unauthorized()),
      (n) => n === 1,
      'the unauthorized event',
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(opened).toHaveLength(1);
  });
});
