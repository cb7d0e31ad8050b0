import type { Knex } from 'knex';
import {
  ApiKey,
  Attachment,
  AuditLogEntry,
  Conversation,
  Document,
  DocumentChunk,
  Invitation,
  Membership,
  Message,
  Organization,
  OrganizationSettings,
  Subscription,
  Ticket,
  TicketEvent,
  UsageEvent,
  User,
  WebhookEndpoint,
} from '../db/models';
import type { TenantModel } from '../db/base-model';

/**
 * Everything an organization owns, as NDJSON records (`GET /v1/organization/export`): one JSON object
 * a line, each with a `type`. Read in one repeatable-read, read-only transaction, so the export is one
 * consistent snapshot however long the client takes to read it, and in pages, so memory stays flat.
 * Secrets stay out: password hashes, token and key hashes, webhook signing secrets, embeddings and
 * stored file bytes (documents carry their current text instead).
 */

export const EXPORT_FORMAT_VERSION = 1;

export type ExportRecordType =
  | 'export'
  | 'organization'
  | 'settings'
  | 'subscription'
  | 'member'
  | 'invitation'
  | 'api_key'
  | 'document'
  | 'conversation'
  | 'message'
  | 'attachment'
  | 'ticket'
  | 'ticket_event'
  | 'usage_event'
  | 'webhook_endpoint'
  | 'audit_log';

export type ExportRecord = { type: ExportRecordType } & Record<string, unknown>;

const PAGE = 500;

type TenantModelClass = typeof TenantModel;

/** A tenant table in the export: its record type and the columns that may leave the server. */
interface ExportedTable {
  type: ExportRecordType;
  model: TenantModelClass;
  columns: string[];
}

const TABLES: ExportedTable[] = [
  {
    type: 'invitation',
    model: Invitation,
    columns: ['id', 'email', 'role', 'invitedByUserId', 'expiresAt', 'acceptedAt', 'createdAt'],
  },
  {
    type: 'api_key',
    model: ApiKey,
    columns: ['id', 'name', 'prefix', 'scopes', 'createdByUserId', 'lastUsedAt', 'revokedAt', 'createdAt'],
  },
  {
    type: 'conversation',
    model: Conversation,
    columns: [
      'id',
      'visitorId',
      'visitorName',
      'visitorEmail',
      'status',
      'handledBy',
      'summary',
      'sentiment',
      'csatRating',
      'lastMessageAt',
      'createdAt',
      'updatedAt',
    ],
  },
  {
    type: 'message',
    model: Message,
    columns: [
      'id',
      'conversationId',
      'role',
      'content',
      'clientMessageId',
      'authorUserId',
      'replyToMessageId',
      'internal',
      'citations',
      'attachments',
      'sentiment',
      'retrievalTrace',
      'model',
      'promptVersion',
      'promptTokens',
      'completionTokens',
      'latencyMs',
      'outcome',
      'createdAt',
    ],
  },
  {
    type: 'attachment',
    model: Attachment,
    columns: ['id', 'conversationId', 'filename', 'contentType', 'sizeBytes', 'createdAt'],
  },
  {
    type: 'ticket',
    model: Ticket,
    columns: [
      'id',
      'conversationId',
      'number',
      'status',
      'priority',
      'reason',
      'summary',
      'assigneeUserId',
      'firstResponseDueAt',
      'resolutionDueAt',
      'firstResponseAt',
      'resolvedAt',
      'closedAt',
      'firstResponseBreachedAt',
      'resolutionBreachedAt',
      'createdAt',
      'updatedAt',
    ],
  },
  {
    type: 'ticket_event',
    model: TicketEvent,
    columns: ['id', 'ticketId', 'type', 'actorUserId', 'data', 'createdAt'],
  },
  {
    type: 'usage_event',
    model: UsageEvent,
    columns: ['id', 'metric', 'subjectId', 'quantity', 'periodStart', 'createdAt'],
  },
  {
    type: 'webhook_endpoint',
    model: WebhookEndpoint,
    columns: [
      'id',
      'url',
      'description',
      'eventTypes',
      'enabled',
      'disabledReason',
      'consecutiveFailures',
      'failingSince',
      'createdAt',
      'updatedAt',
    ],
  },
  {
    type: 'audit_log',
    model: AuditLogEntry,
    columns: [
      'id',
      'actorUserId',
      'actorApiKeyId',
      'action',
      'targetType',
      'targetId',
      'data',
      'ip',
      'createdAt',
    ],
  },
];

const snake = (column: string) => column.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A plain JSON object of a row (dates as ISO strings), with its record type first. A row's own `type`
 * column (a ticket event's) becomes `eventType`, so it cannot hide the record type.
 */
function record(type: ExportRecordType, row: object): ExportRecord {
  const {
    organizationId: _organizationId,
    type: ownType,
    ...rest
  } = JSON.parse(JSON.stringify(row)) as Record<string, unknown>;
  return { type, ...(ownType === undefined ? {} : { eventType: ownType }), ...rest };
}

/** The rows of one tenant table, a page at a time in id order (keyset pagination). */
async function* pages<M extends TenantModel>(
  load: (after: string | null) => PromiseLike<M[]>,
): AsyncGenerator<M[]> {
  let after: string | null = null;
  for (;;) {
    const page = await load(after);
    if (page.length > 0) yield page;
    if (page.length < PAGE) return;
    after = (page[page.length - 1] as unknown as { id: string }).id;
  }
}

function tablePages(trx: Knex.Transaction, organizationId: string, table: ExportedTable) {
  return pages((after) => {
    const query = table.model
      .query(trx)
      .forOrganization(organizationId)
      .select(table.columns.map((c) => `${table.model.tableName}.${snake(c)}`))
      .orderBy('id')
      .limit(PAGE);
    if (after !== null) query.where('id', '>', after);
    return query;
  });
}

/** The organization's documents with the text of their current version (its passages in order). */
async function* documents(trx: Knex.Transaction, organizationId: string): AsyncGenerator<ExportRecord> {
  const batches = pages((after) => {
    const query = Document.query(trx)
      .forOrganization(organizationId)
      .select(
        'id',
        'title',
        'source_type',
        'source_url',
        'mime_type',
        'parent_document_id',
        'content_hash',
        'version',
        'status',
        'error',
        'last_synced_at',
        'created_at',
        'updated_at',
      )
      .orderBy('id')
      .limit(PAGE);
    if (after !== null) query.where('id', '>', after);
    return query;
  });
  for await (const batch of batches) {
    const chunks = await DocumentChunk.query(trx)
      .forOrganization(organizationId)
      .select('document_id', 'document_version', 'text')
      .whereIn(
        'documentId',
        batch.map((d) => d.id),
      )
      .orderBy(['documentId', 'position']);
    const texts = new Map<string, string[]>();
    const versionOf = new Map(batch.map((d) => [d.id, d.version]));
    for (const chunk of chunks) {
      if (versionOf.get(chunk.documentId) !== chunk.documentVersion) continue;
      texts.set(chunk.documentId, [...(texts.get(chunk.documentId) ?? []), chunk.text]);
    }
    for (const document of batch) {
      yield { ...record('document', document), text: (texts.get(document.id) ?? []).join('\n\n') };
    }
  }
}

/** The export's records, in a stable order: the organization first, then table by table. */
export async function* exportOrganization(knex: Knex, organizationId: string): AsyncGenerator<ExportRecord> {
  const trx = await knex.transaction({ isolationLevel: 'repeatable read', readOnly: true });
  try {
    const organization = await Organization.query(trx)
      .findById(organizationId)
      .select('id', 'name', 'slug', 'plan', 'widget_key', 'created_at', 'updated_at')
      .throwIfNotFound();
    yield {
      type: 'export',
      version: EXPORT_FORMAT_VERSION,
      organizationId,
      exportedAt: new Date().toISOString(),
    };
    yield record('organization', organization);
    const settings = await OrganizationSettings.query(trx).forOrganization(organizationId).first();
    if (settings) yield record('settings', settings);
    const subscription = await Subscription.query(trx)
      .forOrganization(organizationId)
      .select(
        'plan',
        'status',
        'current_period_start',
        'current_period_end',
        'cancel_at_period_end',
        'grace_until',
      )
      .first();
    if (subscription) yield record('subscription', subscription);

    const members = await Membership.query(trx)
      .forOrganization(organizationId)
      .select('id', 'user_id', 'role', 'available', 'created_at', 'updated_at')
      .orderBy('createdAt');
    const users = await User.query(trx)
      .select('id', 'email', 'name', 'email_verified_at')
      .whereIn(
        'id',
        members.map((m) => m.userId),
      );
    const userOf = new Map(users.map((u) => [u.id, u]));
    for (const member of members) {
      const user = userOf.get(member.userId);
      yield {
        ...record('member', member),
        email: user?.email ?? null,
        name: user?.name ?? null,
        emailVerifiedAt: user?.emailVerifiedAt ? new Date(user.emailVerifiedAt).toISOString() : null,
      };
    }

    yield* documents(trx, organizationId);
    for (const table of TABLES) {
      for await (const page of tablePages(trx, organizationId, table)) {
        for (const row of page) yield record(table.type, row);
      }
    }
  } finally {
    await trx.rollback().catch(() => undefined);
  }
}
