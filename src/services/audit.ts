import type { Knex } from 'knex';
import { ApiKey, AuditLogEntry } from '../db/models';
import { paginate, type Page, type PageParams } from '../lib/pagination';

/** Who did something: a member, an API key, or (for sign-in flows) a person not yet authenticated. */
export interface Actor {
  organizationId: string;
  userId: string | null;
  apiKeyId: string | null;
  ip: string | null;
}

export type AuditAction =
  | 'organization.created'
  | 'organization.updated'
  | 'organization.deletion_requested'
  | 'settings.updated'
  | 'auth.login'
  | 'auth.refresh_token_reused'
  | 'auth.password_reset'
  | 'api_key.created'
  | 'api_key.revoked'
  | 'invitation.created'
  | 'invitation.revoked'
  | 'invitation.accepted'
  | 'member.role_changed'
  | 'member.removed'
  | 'document.deleted'
  | 'document.visibility_changed'
  | 'webhook_endpoint.created'
  | 'webhook_endpoint.updated'
  | 'webhook_endpoint.deleted'
  | 'webhook_endpoint.secret_rotated'
  | 'webhook_delivery.replayed';

export interface AuditEntryView {
  /** A sequential id (a decimal string). */
  id: string;
  action: string;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  /** The name of the API key that acted (a revoked key keeps its name); null for members. */
  actorApiKeyName: string | null;
  targetType: string | null;
  targetId: string | null;
  data: Record<string, unknown>;
  ip: string | null;
  createdAt: Date;
}

export interface AuditFilters {
  action?: string;
  actorUserId?: string;
  targetType?: string;
}

/** Records a sensitive action; pass the transaction that made the change so both commit together. */
export async function recordAudit(
  db: Knex | Knex.Transaction,
  actor: Actor,
  action: AuditAction,
  target: { type: string; id: string } | null,
  data: Record<string, unknown> = {},
): Promise<void> {
  await AuditLogEntry.query(db)
    .forOrganization(actor.organizationId)
    .insert({
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId,
      action,
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      data,
      ip: actor.ip,
    });
}

const toView = (entry: AuditLogEntry, keyNames: Map<string, string>): AuditEntryView => ({
  id: String(entry.id),
  action: entry.action,
  actorUserId: entry.actorUserId,
  actorApiKeyId: entry.actorApiKeyId,
  actorApiKeyName: entry.actorApiKeyId ? (keyNames.get(entry.actorApiKeyId) ?? null) : null,
  targetType: entry.targetType,
  targetId: entry.targetId,
  data: entry.data,
  ip: entry.ip,
  createdAt: entry.createdAt,
});

export async function listAuditEntries(
  knex: Knex,
  organizationId: string,
  params: PageParams,
  filters: AuditFilters,
): Promise<Page<AuditEntryView>> {
  const query = AuditLogEntry.query(knex).forOrganization(organizationId);
  if (filters.action) query.where('action', filters.action);
  if (filters.actorUserId) query.where('actorUserId', filters.actorUserId);
  if (filters.targetType) query.where('targetType', filters.targetType);
  const page = await paginate(query, 'audit_log', params);
  const keyIds = [...new Set(page.items.flatMap((e) => (e.actorApiKeyId ? [e.actorApiKeyId] : [])))];
  const keys = keyIds.length
    ? await ApiKey.query(knex).forOrganization(organizationId).whereIn('id', keyIds).select('id', 'name')
    : [];
  const keyNames = new Map(keys.map((k) => [k.id, k.name]));
  return { items: page.items.map((e) => toView(e, keyNames)), nextCursor: page.nextCursor };
}
