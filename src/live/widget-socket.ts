import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { jsonShapeProblem } from '../api/body-parsers';
import { findUnstorable, type Unstorable } from '../lib/storable';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { WidgetError, type Widget } from '../services/visitors';
import { CLOSE, clientFrame, type ClientFrame, type ServerFrame } from './protocol';
import { VisitorConnection, type LiveDeps } from './visitor-connection';

/**
 * The widget's WebSocket endpoint, `/widget/v1/ws?key=<widget key>`: the key and the page's origin
 * are checked before the upgrade (refused with 403 and a JSON reason); the first frame must be a
 * `hello` with the visitor token. Malformed frames close the socket with 4400, oversized ones with
 * 1009; a socket that stops answering pings is closed.
 */

export const WIDGET_SOCKET_PATH = '/widget/v1/ws';
const MAX_FRAME_BYTES = 64 * 1024;
const HELLO_TIMEOUT_MS = 10_000;
const HEARTBEAT_MS = 20_000;

export function attachWidgetSockets(server: Server, deps: LiveDeps): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WIDGET_SOCKET_PATH) {
      refuse(socket, 404, 'not_found', 'No WebSocket endpoint here.');
      return;
    }
    deps.visitors.resolveWidget(url.searchParams.get('key') ?? '', req.headers.origin).then(
      (widget) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          alive.set(ws, true);
          ws.on('pong', () => alive.set(ws, true));
          serve(ws, widget, deps);
        });
      },
      (error: unknown) => {
        if (error instanceof WidgetError) refuse(socket, 403, error.code, error.message);
        else {
          deps.logger.error({ err: error }, 'widget upgrade failed');
          refuse(socket, 503, 'unavailable', 'Try again shortly.');
        }
      },
    );
  });

  // Heartbeat: a socket that did not answer the previous ping is gone.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.close(CLOSE.heartbeatTimeout, 'heartbeat timeout');
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  wss.on('close', () => clearInterval(heartbeat));
  return wss;
}

function refuse(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Service Unavailable'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function serve(ws: WebSocket, widget: Widget, deps: LiveDeps): void {
  const send = (frame: ServerFrame) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
  };
  let connection: VisitorConnection | undefined;
  let greeting: Promise<void> | undefined;
  const helloTimer = setTimeout(
    () => ws.close(CLOSE.unauthorized, 'expected a hello frame'),
    HELLO_TIMEOUT_MS,
  );

  ws.on('message', (data: RawData, isBinary: boolean) => {
    const parsed = isBinary ? undefined : parse(data);
    if (parsed && 'unstorable' in parsed) {
      // Well-formed, but holding what cannot be stored: refused like an invalid message, socket kept.
      const { field, message } = parsed.unstorable;
      send({ type: 'error', code: 'invalid_message', message: `${field} ${message}.`, field });
      return;
    }
    const frame = parsed?.frame;
    if (!frame) {
      send({ type: 'error', code: 'bad_frame', message: 'Frames are JSON objects of the widget protocol.' });
      ws.close(CLOSE.badFrame, 'malformed frame');
      return;
    }
    if (!greeting) {
      if (frame.type !== 'hello') {
        ws.close(CLOSE.unauthorized, 'expected a hello frame');
        return;
      }
      clearTimeout(helloTimer);
      greeting = (async () => {
        try {
          const identity = await deps.visitors.verify(frame.token);
          if (identity.organizationId !== widget.organizationId)
            throw new WidgetError('unauthorized', 'wrong widget');
          connection = new VisitorConnection(deps, identity, send);
          await connection.open(frame.lastMessageId);
        } catch (error) {
          const reason = error instanceof WidgetError ? error.message : 'could not open the conversation';
          send({ type: 'error', code: 'unauthorized', message: reason });
          ws.close(CLOSE.unauthorized, reason.slice(0, 120));
        }
      })();
      return;
    }
    // Frames that arrive while the welcome is prepared wait for it, in order.
    greeting = greeting.then(() => connection?.handle(frame));
  });
  ws.on('close', () => {
    clearTimeout(helloTimer);
    connection?.close();
  });
  ws.on('error', () => ws.terminate());
}

function parse(data: RawData): { frame: ClientFrame } | { unstorable: Unstorable } | undefined {
  try {
    const bytes = Array.isArray(data)
      ? Buffer.concat(data)
      : Buffer.isBuffer(data)
        ? data
        : Buffer.from(data);
    if (jsonShapeProblem(bytes)) return undefined;
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    const unstorable = findUnstorable(json, '');
    if (unstorable) return { unstorable };
    const result = clientFrame.safeParse(json);
    return result.success ? { frame: result.data } : undefined;
  } catch {
    return undefined;
  }
}
