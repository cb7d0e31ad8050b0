import WebSocket from 'ws';
import type { ServerFrame } from '../../src/live/protocol';

/**
 * A widget visitor for benchmarks and load runs: a session, a WebSocket speaking the widget protocol,
 * and questions timed from sending to the first streamed token and to the stored reply.
 */

export interface AskTiming {
  /** Null when the reply came without streamed tokens (an abstention or a hand-off). */
  firstTokenMs: number | null;
  replyMs: number;
}

interface Pending {
  sentAt: number;
  messageId?: string;
  resolve: (timing: AskTiming) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class BenchVisitor {
  private readonly pending = new Map<string, Pending>();
  private readonly firstToken = new Map<string, number>();
  private sequence = 0;

  private constructor(
    private readonly ws: WebSocket,
    private readonly name: string,
  ) {
    ws.on('message', (data: Buffer) => this.receive(JSON.parse(data.toString('utf8')) as ServerFrame));
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('socket closed'));
      this.pending.clear();
    });
  }

  /** Starts a session as the widget does, connects and greets; resolves on the welcome frame. */
  static async open(baseUrl: string, key: string, origin: string, name: string): Promise<BenchVisitor> {
    const res = await fetch(`${baseUrl}/widget/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({ key }),
    });
    if (!res.ok) throw new Error(`session: ${res.status} ${await res.text()}`);
    const { token } = (await res.json()) as { token: string };
    const ws = new WebSocket(
      `${baseUrl.replace(/^http/, 'ws')}/widget/v1/ws?key=${encodeURIComponent(key)}`,
      {
        headers: { origin },
      },
    );
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const visitor = new BenchVisitor(ws, name);
    const welcome = new Promise<void>((resolve, reject) => {
      const onMessage = (data: Buffer) => {
        const frame = JSON.parse(data.toString('utf8')) as ServerFrame;
        if (frame.type === 'welcome') resolve();
        else if (frame.type === 'error') reject(new Error(`hello: ${frame.code} ${frame.message}`));
        else return;
        ws.off('message', onMessage);
      };
      ws.on('message', onMessage);
    });
    ws.send(JSON.stringify({ type: 'hello', token }));
    await welcome;
    return visitor;
  }

  /** Sends a message and resolves when the assistant's reply to it is stored and pushed. */
  ask(content: string, timeoutMs = 60_000): Promise<AskTiming> {
    const clientMessageId = `${this.name}-${++this.sequence}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(clientMessageId);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(clientMessageId, { sentAt: performance.now(), resolve, reject, timer });
      this.ws.send(JSON.stringify({ type: 'message', clientMessageId, content }));
    });
  }

  close(): void {
    this.ws.close();
  }

  private byMessageId(messageId: string): [string, Pending] | undefined {
    return [...this.pending].find(([, p]) => p.messageId === messageId);
  }

  private receive(frame: ServerFrame): void {
    const now = performance.now();
    switch (frame.type) {
      case 'ack': {
        const pending = this.pending.get(frame.clientMessageId);
        if (pending) pending.messageId = frame.messageId;
        return;
      }
      case 'token':
        if (!this.firstToken.has(frame.replyTo)) this.firstToken.set(frame.replyTo, now);
        return;
      case 'message': {
        const replyTo = frame.message.replyToMessageId;
        if (frame.message.role !== 'assistant' || !replyTo) return;
        const entry = this.byMessageId(replyTo);
        if (!entry) return;
        const [clientMessageId, pending] = entry;
        this.pending.delete(clientMessageId);
        clearTimeout(pending.timer);
        const first = this.firstToken.get(replyTo);
        this.firstToken.delete(replyTo);
        pending.resolve({
          firstTokenMs: first === undefined ? null : first - pending.sentAt,
          replyMs: now - pending.sentAt,
        });
        return;
      }
      case 'error': {
        // Errors answer the oldest unanswered message (frames of one socket are handled in order).
        const oldest = [...this.pending].find(([, p]) => !p.messageId);
        if (!oldest) return;
        this.pending.delete(oldest[0]);
        clearTimeout(oldest[1].timer);
        oldest[1].reject(new Error(`${frame.code}: ${frame.message}`));
        return;
      }
      default:
        return;
    }
  }
}

/** Questions the demo help centre answers (so no visitor is handed to a human mid-run). */
export const DEMO_QUESTIONS = [
  'How long do I have to ask for a refund?',
  'How do I turn on two-factor authentication?',
  'How do I export all of my notes?',
  'My notes are not syncing between devices, what can I do?',
  'How do I invite my team?',
  'Where do I change my password?',
];
