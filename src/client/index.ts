import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/**
 * A typed client for Parley's REST API, generated from the committed OpenAPI spec
 * (`npm run client` rewrites schema.d.ts). Integrators and the integration tests use it.
 */
export type ParleyClient = Client<JsonPaths>;

/**
 * The spec's operations as this client reads them: JSON answers only. The server-sent events a
 * message post streams for `Accept: text/event-stream` are read from the response body (see the
 * operation's description), so they are left out of `data`'s type.
 */
export type JsonPaths = {
  [P in keyof paths]: {
    [M in keyof paths[P]]: paths[P][M] extends { responses: infer R }
      ? Omit<paths[P][M], 'responses'> & { responses: WithoutStreams<R> }
      : paths[P][M];
  };
};
type WithoutStreams<R> = {
  [S in keyof R as R[S] extends { content: { 'text/event-stream': unknown } } ? never : S]: R[S];
};
export type { components, paths } from './schema';

export function createParleyClient(baseUrl: string, token?: string): ParleyClient {
  return createClient<JsonPaths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}
