import { createServer, type Server } from 'node:http';
import { CLOSE } from '../live/protocol';
import { attachWidgetSockets } from '../live/widget-socket';
import { createApp } from './app';
import type { ApiServices } from './services';

export interface HttpServer {
  server: Server;
  close(): Promise<void>;
}

/** The HTTP server: the app, the widget's WebSocket endpoint, and the live event bus behind them. */
export async function createHttpServer(services: ApiServices): Promise<HttpServer> {
  const server = createServer(createApp(services));
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
