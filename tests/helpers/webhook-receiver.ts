import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import { Webhook } from 'standardwebhooks';

/** One request a receiver got: the raw body (what the signature covers) and the headers. */
export interface ReceivedWebhook {
  body: string;
  headers: Record<string, string>;
  type: string;
}

type Answer = (request: ReceivedWebhook, res: ServerResponse, req: IncomingMessage) => void;

/** A real HTTP server that receives webhooks; each test says how it answers. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private server: Server | undefined;
  port = 0;
  answer: Answer = (_request, res) => res.writeHead(204).end();

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
        );
        const request = { body, headers, type: (JSON.parse(body) as { type: string }).type };
        this.received.push(request);
        this.answer(request, res, req);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Stops at once, cutting the connections in flight (a receiver that dies). */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until a request matches. */
  async waitFor(match: (request: ReceivedWebhook) => boolean, timeoutMs = 30_000): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching webhook; received: ${this.received.map((r) => r.type).join(', ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Standard Webhooks' own verification: throws unless the secret signed exactly this body. */
export function verify(
  secret: string,
  request: ReceivedWebhook,
): { type: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(request.body, request.headers) as {
    type: string;
    data: Record<string, unknown>;
  };
}

/** Starts a dispatcher for one organization's deliveries on a test's task queue; returns its stop. */
export async function startDispatcher(
  client: Client,
  taskQueue: string,
  organizationId: string,
): Promise<() => Promise<void>> {
  const handle = await client.workflow.start('dispatchWebhooks', {
    workflowId: `dispatch-webhooks-${taskQueue}-${organizationId}`,
    taskQueue,
    args: [{ organizationId }],
  });
  return async () => {
    await handle.terminate('test over').catch(() => undefined);
  };
}
