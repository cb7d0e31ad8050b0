import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { CLOSE } from '../live/protocol';
import { attachWidgetSockets } from '../live/widget-socket';
import { createApp } from './app';
import { problemTypeUri, PROBLEM_JSON, PROBLEM_TYPES } from '../lib/problem';
import type { ApiServices } from './services';

export interface HttpServer {
  server: Server;
  close(): Promise<void>;
}

/** The HTTP server: the app, the widget's WebSocket endpoint, and the live event bus behind them. */
export async function createHttpServer(services: ApiServices): Promise<HttpServer> {
  const server = createServer(createApp(services));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, services.config.http.publicUrl),
  );
  const sockets = attachWidgetSockets(server, services.live);
  await services.bus.start();
  return {
    server,
    async close() {
      for (const socket of sockets.clients) socket.close(CLOSE.goingAway, 'server shutting down');
      sockets.close();
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.bus.stop();
    },
  };
}

/**
 * Requests Node's parser refuses before the app sees them (a URL or headers over 16 KB, a malformed
 * request line or header) get a problem document like every other error, instead of Node's bare
 * status line; they are the client's mistake, so nothing is logged.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, publicUrl: string): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const slug = error.code === 'HPE_HEADER_OVERFLOW' ? 'headers-too-large' : 'bad-request';
  const { status, title } = PROBLEM_TYPES[slug];
  const body = JSON.stringify({
    type: problemTypeUri(slug, publicUrl),
    title,
    status,
    detail:
      slug === 'bad-request'
        ? 'The request is not well-formed HTTP/1.1.'
        : 'The URL and headers together exceed 16 KB.',
  });
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\n` +
      `Content-Type: ${PROBLEM_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
