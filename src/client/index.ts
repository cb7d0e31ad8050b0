import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';

/**
 * A typed client for Parley's REST API, generated from the committed OpenAPI spec
 * (`npm run client` rewrites schema.d.ts). Integrators and the integration tests use it.
 */
export type ParleyClient = Client<paths>;
export type { components, paths } from './schema';

export function createParleyClient(baseUrl: string, token?: string): ParleyClient {
  return createClient<paths>({
    baseUrl,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
}
