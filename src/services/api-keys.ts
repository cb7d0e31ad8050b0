import type { Knex } from 'knex';
import { ApiKey } from '../db/models';
import { newSecret, sha256 } from '../lib/secrets';
import { paginate, type Page, type PageParams } from '../lib/pagination';
import { problems } from '../lib/problem';
import type { Principal } from '../domain/principal';
import { ALL_SCOPES, hasScope, type ApiKeyScope } from '../domain/scopes';
import { publish } from '../lib/events';
import type { EventBus } from '../live/event-bus';
import { recordAudit, type Actor } from './audit';

/** Integrators' keys: `prly_` and 43 random characters. Only the hash is kept, with a visible prefix. */
const API_KEY_PREFIX = 'prly_';
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 6;
/** last_used_at is refreshed at most this often, so a busy key does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  /** The key's first characters, to tell keys apart. */
  prefix: string;
  /** What the key may do; an empty list means unrestricted (everything an admin may do). */
  scopes: ApiKeyScope[];
  createdByUserId: string | null;
  /** Updated at most once a minute. */
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The key itself. It is shown only in this response: store it now. */
  key: string;
}

/** @example {"name": "CRM sync", "scopes": ["conversations:read", "conversations:write"]} */
export interface ApiKeyCreation {
  /**
   * @minLength 1
   * @maxLength 100
   */
  name: string;
  /**
   * Narrows the key to these scopes; omit for an unrestricted key.
   * @minItems 1
   * @uniqueItems
   */
  scopes?: ApiKeyScope[];
}

export interface ApiKeyFilters {
  /** true: only keys in use; false: only revoked keys. */
  active?: boolean;
}

const toView = (key: ApiKey): ApiKeyView => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  scopes: key.scopes as ApiKeyScope[],
  createdByUserId: key.createdByUserId,
  lastUsedAt: key.lastUsedAt,
  revokedAt: key.revokedAt,
  createdAt: key.createdAt,
});

/**
 * A key can create or revoke keys only within its own scopes, never a wider one (an empty list is
 * an unrestricted key).
 */
const widerThan = (principal: Principal, scopes: string[]): boolean =>
  scopes.length === 0 ? !principal.scopes.includes(ALL_SCOPES) : !scopes.every((s) => hasScope(principal, s));

export async function createApiKey(
  knex: Knex,
  principal: Principal,
  actor: Actor,
  input: ApiKeyCreation,
): Promise<CreatedApiKey> {
  const scopes = input.scopes ?? [];
  if (widerThan(principal, scopes))
    throw problems.forbidden('A key cannot create a key with scopes it does not hold.');
  const key = newSecret(API_KEY_PREFIX);
  return knex.transaction(async (trx) => {
    const row = await ApiKey.query(trx)
      .forOrganization(actor.organizationId)
      .insert({
        name: input.name,
        prefix: key.slice(0, VISIBLE_PREFIX_LENGTH),
        keyHash: sha256(key),
        scopes,
        createdByUserId: actor.userId,
      })
      .returning('*');
    await recordAudit(
      trx,
      actor,
      'api_key.created',
      { type: 'api_key', id: row.id },
      { name: row.name, scopes },
    );
    return { ...toView(row), key };
  });
}

export async function listApiKeys(
  knex: Knex,
  organizationId: string,
  params: PageParams,
  filters: ApiKeyFilters,
): Promise<Page<ApiKeyView>> {
  const query = ApiKey.query(knex).forOrganization(organizationId);
  if (filters.active === true) query.whereNull('revokedAt');
  if (filters.active === false) query.whereNotNull('revokedAt');
  const page = await paginate(query, 'api_keys', params, { createdAt: 'createdAt', name: 'name' });
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

export async function getApiKey(knex: Knex, organizationId: string, id: string): Promise<ApiKeyView> {
  const key = await ApiKey.query(knex).forOrganization(organizationId).findById(id);
  if (!key) throw problems.notFound('The API key');
  return toView(key);
}

/** Revoking is final and idempotent; the key stops working at once (see ApiKeyAuthenticator). */
async function revokeApiKey(knex: Knex, principal: Principal, actor: Actor, id: string): Promise<void> {
  await knex.transaction(async (trx) => {
    const key = await ApiKey.query(trx).forOrganization(actor.organizationId).findById(id).forUpdate();
    if (!key) throw problems.notFound('The API key');
    if (widerThan(principal, key.scopes))
      throw problems.forbidden('A key cannot revoke a key with scopes it does not hold.');
    if (key.revokedAt) return;
    await ApiKey.query(trx)
      .forOrganization(actor.organizationId)
      .findById(id)
      .patch({ revokedAt: new Date() });
    await recordAudit(trx, actor, 'api_key.revoked', { type: 'api_key', id }, { name: key.name });
    await publish(trx, { type: 'api_key_revoked', organizationId: actor.organizationId, apiKeyId: id });
  });
}

export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** The principal of a live key, or undefined for an unknown or revoked one. */
async function lookUpApiKey(knex: Knex, keyHash: string): Promise<Principal | undefined> {
  const key = await ApiKey.query(knex)
    .unscoped('an API key is looked up by its hash; the row names its organization')
    .findOne({ keyHash })
    .whereNull('revokedAt');
  if (!key) return undefined;
  const now = new Date();
  if (!key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    await ApiKey.query(knex).forOrganization(key.organizationId).findById(key.id).patch({ lastUsedAt: now });
  }
  return {
    organizationId: key.organizationId,
    userId: null,
    apiKeyId: key.id,
    role: 'admin',
    scopes: key.scopes.length > 0 ? key.scopes : [ALL_SCOPES],
  };
}

/** Keys an API process keeps at most; the least recently looked up goes first. */
const MAX_CACHED_KEYS = 10_000;

/**
 * Authenticates API keys without a query on every request: an API process keeps the principal of a
 * key in use for LAST_USED_RESOLUTION_MS (its last_used_at is refreshed as often). A revocation is
 * announced on the events channel and evicts the key from every API process at once. An announcement
 * can be missed only while that channel is down, so nothing is cached or served from the cache then,
 * and the cache empties when it is back. Unknown keys are never cached.
 */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { principal: Principal; expiresAt: number }>();
  /** Bumped by each eviction, so a lookup that raced a revocation or a reconnection is not cached. */
  private evictions = 0;

  constructor(
    private readonly knex: Knex,
    private readonly bus: Pick<EventBus, 'listening' | 'onType' | 'onReconnect'>,
  ) {
    bus.onType('api_key_revoked', (event) =>
      this.forget((principal) => principal.apiKeyId === event.apiKeyId),
    );
    bus.onType('organization_deleted', (event) =>
      this.forget((principal) => principal.organizationId === event.organizationId),
    );
    bus.onReconnect(() => this.forget(() => true));
  }

  async authenticate(token: string): Promise<Principal | undefined> {
    const keyHash = sha256(token);
    const cached = this.cache.get(keyHash);
    if (cached && cached.expiresAt > Date.now() && this.bus.listening) return cached.principal;
    this.cache.delete(keyHash);
    const evictions = this.evictions;
    const wasListening = this.bus.listening;
    const principal = await lookUpApiKey(this.knex, keyHash);
    if (principal && wasListening && this.bus.listening && evictions === this.evictions) {
      // Maps keep insertion order: the first entry is the least recently looked up.
      if (this.cache.size >= MAX_CACHED_KEYS) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(keyHash, { principal, expiresAt: Date.now() + LAST_USED_RESOLUTION_MS });
    }
    return principal;
  }

  /** Revokes a key and forgets it here at once (other processes hear of it on the events channel). */
  async revoke(principal: Principal, actor: Actor, id: string): Promise<void> {
    await revokeApiKey(this.knex, principal, actor, id);
    this.forget((principal) => principal.apiKeyId === id);
  }

  private forget(which: (principal: Principal) => boolean): void {
    this.evictions++;
    for (const [keyHash, entry] of this.cache) if (which(entry.principal)) this.cache.delete(keyHash);
  }
}
