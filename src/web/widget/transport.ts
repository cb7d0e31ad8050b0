/**
 * The widget's connection to Parley (docs/widget-protocol.md): a WebSocket, or server-sent events and
 * POSTs where a WebSocket cannot be held; reconnection with backoff; resumption from the newest message
 * received; and an outbox of sent frames that go again, with the same client message id, until the
 * server acknowledges them. It knows nothing of the page: whoever listens renders the frames.
 */
import type { ClientFrame, ServerFrame } from '../../live/protocol';

/** What the transport uses of a WebSocket: the browser's, or `ws` in Node (the transport's tests). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number }) => void): void;
}

/** What the transport uses of an EventSource (the fallback's receiving half). */
export interface EventStreamLike {
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error', listener: () => void): void;
  close(): void;
}

/** The transport's events, each with its listener's signature. */
export interface TransportEvents {
  /** A server frame, after the transport has taken what it needs from it (acks, the resume point). */
  frame: (frame: ServerFrame) => void;
  /** The server refused the visitor token (close 4401): the session must start over, then `connect` again. */
  unauthorized: () => void;
}

export interface TransportOptions {
  /** The Parley origin, e.g. `https://parley.example.com`. */
  base: string;
  /** The organization's widget key. */
  key: string;
  /** Opens a WebSocket; absent where there is none, and the transport uses the HTTP fallback. */
  openSocket?: ((url: string) => SocketLike) | undefined;
  /** Opens the fallback's event stream (the browser's EventSource by default). */
  openEvents?: (url: string) => EventStreamLike;
  /** The jitter of the reconnection delay, in [0, 1) (Math.random by default). */
  random?: () => number;
}

/** The `readyState` of an open WebSocket (the same constant in browsers and in `ws`). */
const OPEN = 1;
/** The close code of a refused visitor token. */
const UNAUTHORIZED = 4401;
const MAX_BACKOFF_MS = 15_000;
const BASE_BACKOFF_MS = 500;

export class WidgetTransport {
  private token: string | undefined;
  private socket: SocketLike | undefined;
  private events: EventStreamLike | undefined;
  private reconnectAttempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private useFallback: boolean;
  private stopped = false;
  private newestMessageId: string | undefined;
  private readonly received = new Set<string>();
  /** Sent but not yet acknowledged: sent again after a reconnect (the server deduplicates by id). */
  private readonly outbox = new Map<string, ClientFrame>();
  private readonly listeners: { [K in keyof TransportEvents]: TransportEvents[K][] } = {
    frame: [],
    unauthorized: [],
  };
  private readonly openEvents: (url: string) => EventStreamLike;
  private readonly random: () => number;

  constructor(private readonly options: TransportOptions) {
    this.useFallback = !options.openSocket;
    this.openEvents = options.openEvents ?? ((url) => new EventSource(url));
    this.random = options.random ?? Math.random;
  }

  on<K extends keyof TransportEvents>(event: K, listener: TransportEvents[K]): void {
    this.listeners[event].push(listener);
  }

  /** The newest message received: the next `hello` (or event stream) resumes after it. */
  get lastMessageId(): string | undefined {
    return this.newestMessageId;
  }

  /** Whether frames go over HTTP (no WebSocket, or one that never got through). */
  get fallback(): boolean {
    return this.useFallback;
  }

  /** Connects with the visitor's token (again after `unauthorized`, with the new session's). */
  connect(token: string): void {
    this.token = token;
    this.stopped = false;
    this.open();
  }

  /**
   * Sends a frame now if connected. A frame with a client message id waits in the outbox until it is
   * acknowledged, and goes again after each reconnect; other frames are dropped while disconnected.
   */
  send(frame: ClientFrame): void {
    if ('clientMessageId' in frame) this.outbox.set(frame.clientMessageId, frame);
    if (this.socket?.readyState === OPEN) {
      this.socket.send(JSON.stringify(frame));
    } else if (this.useFallback && this.token) {
      void fetch(`${this.options.base}/widget/v1/frames`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${this.token}`,
          'X-Widget-Key': this.options.key,
        },
        body: JSON.stringify(frame),
      })
        .then((r) => r.json() as Promise<{ frames?: ServerFrame[] }>)
        .then((body) => body.frames?.forEach((f) => this.receive(f)));
    }
  }

  /** Closes the connection and stops reconnecting. */
  close(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
    this.events?.close();
    this.events = undefined;
  }

  private open(): void {
    if (this.stopped) return;
    if (this.useFallback || !this.options.openSocket) {
      this.openStream();
      return;
    }
    const { base, key } = this.options;
    const socket = this.options.openSocket(
      `${base.replace(/^http/, 'ws')}/widget/v1/ws?key=${encodeURIComponent(key)}`,
    );
    this.socket = socket;
    let greeted = false;
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'hello', token: this.token, lastMessageId: this.newestMessageId }));
    });
    socket.addEventListener('message', (event) => {
      greeted = true;
      this.receive(JSON.parse(String(event.data)) as ServerFrame);
    });
    socket.addEventListener('close', (event) => {
      if (this.socket !== socket) return; // closed by `close()`
      this.socket = undefined;
      if (event.code === UNAUTHORIZED) {
        this.emit('unauthorized');
        return;
      }
      // A socket that never got a frame through twice in a row: a proxy that cannot carry WebSockets.
      if (!greeted && this.reconnectAttempt >= 2) this.useFallback = true;
      this.scheduleReconnect();
    });
  }

  private openStream(): void {
    const params = new URLSearchParams({ key: this.options.key, token: this.token ?? '' });
    if (this.newestMessageId) params.set('lastMessageId', this.newestMessageId);
    const events = this.openEvents(`${this.options.base}/widget/v1/events?${params}`);
    this.events = events;
    events.addEventListener('message', (event) =>
      this.receive(JSON.parse(String(event.data)) as ServerFrame),
    );
    events.addEventListener('error', () => {
      events.close();
      if (this.events !== events) return; // closed by `close()`
      this.events = undefined;
      this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    const delay =
      Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** this.reconnectAttempt++) * (0.5 + this.random() / 2);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.reconnectAttempt = 0;
        frame.messages.forEach((m) => this.remember(m.id));
        break;
      case 'message':
        this.remember(frame.message.id);
        break;
      case 'ack':
        this.outbox.delete(frame.clientMessageId);
        break;
      default:
        break;
    }
    this.emit('frame', frame);
    // Whatever was sent while disconnected goes again; the server answers duplicates with the same id.
    if (frame.type === 'welcome') for (const pending of this.outbox.values()) this.send(pending);
  }

  private remember(messageId: string): void {
    if (this.received.has(messageId)) return;
    this.received.add(messageId);
    this.newestMessageId = messageId;
  }

  private emit<K extends keyof TransportEvents>(event: K, ...args: Parameters<TransportEvents[K]>): void {
    for (const listener of this.listeners[event]) (listener as (...a: typeof args) => void)(...args);
  }
}
