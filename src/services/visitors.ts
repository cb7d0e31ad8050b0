import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Knex } from 'knex';
import type { Config } from '../config';
import {
  Attachment,
  Conversation,
  Document,
  Membership,
  Message,
  Organization,
  OrganizationSettings,
  type AttachmentRef,
  type WidgetSettings,
} from '../db/models';
import { publish } from '../lib/events';
import type { WireMessage } from '../live/protocol';
import type { ConversationService } from './conversations';
import { markWidgetInstalled } from './onboarding';
import { textProblem } from '../lib/storable';
import { hourWindow, recordRefusal } from './usage';

/** The hourly budget of visitor messages when the settings name none (the column's default). */
const DEFAULT_ANONYMOUS_MESSAGES_PER_HOUR = 300;

/**
 * The visitor's side of a conversation: who the visitor is (a signed token the widget keeps), what
 * they see (history, unread count) and what they do (send, escalate, type, read, rate). The
 * WebSocket server and the HTTP fallback both go through here.
 */

const AUDIENCE = 'parley-visitor';
const ISSUER = 'parley';
const TOKEN_TTL = '90d';

export class WidgetError extends Error {
  constructor(
    readonly code: 'unknown_widget' | 'origin_not_allowed' | 'unauthorized' | 'not_found' | 'invalid_message',
    message: string,
  ) {
    super(message);
    this.name = 'WidgetError';
  }
}

export interface Widget {
  organizationId: string;
  organizationName: string;
  look: WidgetSettings;
}

export interface VisitorIdentity {
  organizationId: string;
  visitorId: string;
  conversationId: string;
}

export interface VisitorSession extends VisitorIdentity {
  token: string;
  widget: Widget;
}

const HUMAN_REQUEST = "I'd like to talk to a person, please.";

export const toWireMessage = (m: Message, author: string | null = null): WireMessage => ({
  id: m.id,
  role: m.role,
  content: m.content,
  clientMessageId: m.clientMessageId,
  replyToMessageId: m.replyToMessageId,
  citations: m.citations,
  attachments: m.attachments,
  author: m.role === 'agent' ? author : null,
  createdAt: new Date(m.createdAt).toISOString(),
});

export class VisitorService {
  private readonly key: Uint8Array;

  constructor(
    private readonly deps: {
      knex: Knex;
      config: Pick<Config, 'auth' | 'http'>;
      conversations: ConversationService;
    },
  ) {
    this.key = new TextEncoder().encode(deps.config.auth.jwtSecret);
  }

  /**
   * The organization behind a widget key, if the page's origin may embed it: an organization with
   * no allowed origins accepts any site; Parley's own pages (demo, console preview) are always allowed.
   */
  async resolveWidget(widgetKey: string, origin: string | undefined): Promise<Widget> {
    // The WebSocket upgrade reads the key from its URL before any of the app's checks (a %00 in it).
    const organization = textProblem(widgetKey)
      ? undefined
      : await Organization.query(this.deps.knex).findOne({ widgetKey });
    if (!organization) throw new WidgetError('unknown_widget', 'This widget key is not valid.');
    const settings = await OrganizationSettings.query(this.deps.knex)
      .forOrganization(organization.id)
      .findById(organization.id);
    const allowed = settings?.allowedOrigins ?? [];
    const own = new URL(this.deps.config.http.publicUrl).origin;
    if (allowed.length > 0 && origin !== own && !allowed.includes(origin ?? '')) {
      throw new WidgetError(
        'origin_not_allowed',
        `This widget may not be embedded on ${origin ?? 'a page without an origin'}; add the site to the allowed origins.`,
      );
    }
    // The widget answering on a site of the organization's own completes the checklist's install step.
    if (origin && origin !== own && !organization.widgetInstalledAt)
      await markWidgetInstalled(this.deps.knex, organization.id);
    return {
      organizationId: organization.id,
      organizationName: organization.name,
      look: settings?.widget ?? {},
    };
  }

  /**
   * Starts or resumes a visitor's session. A valid token for this organization resumes its
   * conversation (and history); otherwise a new visitor and conversation begin.
   */
  async startSession(
    widget: Widget,
    input: { token?: string; name?: string; email?: string },
    /** Called before a new visitor begins (not on a resume): the session limits throw from here. */
    admitNew: () => Promise<void> = async () => {},
  ): Promise<VisitorSession> {
    const known = input.token ? await this.verify(input.token).catch(() => undefined) : undefined;
    if (known && known.organizationId === widget.organizationId) {
      if (input.name || input.email) {
        await Conversation.query(this.deps.knex)
          .forOrganization(known.organizationId)
          .patch({ visitorName: input.name ?? undefined, visitorEmail: input.email ?? undefined })
          .where('id', known.conversationId);
      }
      return { ...known, token: input.token!, widget };
    }
    await admitNew();
    const visitorId = `visitor-${randomUUID()}`;
    const conversation = await this.deps.conversations.create(widget.organizationId, {
      visitorId,
      visitorName: input.name,
      visitorEmail: input.email,
    });
    const identity = { organizationId: widget.organizationId, visitorId, conversationId: conversation.id };
    return { ...identity, token: await this.sign(identity), widget };
  }

  sign(identity: VisitorIdentity): Promise<string> {
    return new SignJWT({ org: identity.organizationId, cid: identity.conversationId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(identity.visitorId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(TOKEN_TTL)
      .sign(this.key);
  }

  /** The identity in a visitor token; WidgetError('unauthorized') for anything forged, expired or stale. */
  async verify(token: string): Promise<VisitorIdentity> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        issuer: ISSUER,
        audience: AUDIENCE,
        algorithms: ['HS256'],
      });
      const { sub, org, cid } = payload;
      if (typeof sub === 'string' && typeof org === 'string' && typeof cid === 'string') {
        const exists = await Conversation.query(this.deps.knex).forOrganization(org).findById(cid);
        if (exists?.visitorId === sub) return { organizationId: org, visitorId: sub, conversationId: cid };
      }
    } catch (error) {
      if (!(error instanceof errors.JOSEError)) throw error;
    }
    throw new WidgetError('unauthorized', 'The visitor token is not valid; start a new session.');
  }

  /** Visitor-facing messages after `afterMessageId` (everything when absent), oldest first. */
  async history(identity: VisitorIdentity, afterMessageId?: string): Promise<WireMessage[]> {
    const query = Message.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .where({ conversationId: identity.conversationId, internal: false })
      .orderBy('createdAt')
      .orderBy('id');
    if (afterMessageId) {
      const after = await Message.query(this.deps.knex)
        .forOrganization(identity.organizationId)
        .findOne({ id: afterMessageId, conversationId: identity.conversationId });
      if (after) query.whereRaw('(created_at, id) > (?, ?)', [after.createdAt, after.id]);
    }
    return this.toWire(identity, await query);
  }

  /**
   * Messages as the widget receives them, agent replies named by their author (a member of the
   * organization). A citation of a document that is internal now carries no link, even on a reply
   * given while it was public.
   */
  async toWire(identity: VisitorIdentity, messages: Message[]): Promise<WireMessage[]> {
    const cited = [...new Set(messages.flatMap((m) => m.citations.map((c) => c.documentId)))];
    const internal = new Set(
      cited.length
        ? (
            await Document.query(this.deps.knex)
              .forOrganization(identity.organizationId)
              .whereIn('id', cited)
              .where('visibility', 'internal')
              .select('id')
          ).map((d) => d.id)
        : [],
    );
    const linked = (m: Message): Message =>
      m.citations.some((c) => internal.has(c.documentId))
        ? ({
            ...m,
            citations: m.citations.map((c) => (internal.has(c.documentId) ? { ...c, url: null } : c)),
          } as Message)
        : m;
    const authors = [
      ...new Set(messages.flatMap((m) => (m.role === 'agent' && m.authorUserId ? [m.authorUserId] : []))),
    ];
    const names = new Map<string, string>();
    if (authors.length) {
      const members = await Membership.query(this.deps.knex)
        .forOrganization(identity.organizationId)
        .whereIn('memberships.userId', authors)
        .join('users', 'users.id', 'memberships.userId')
        .select('memberships.userId', 'users.name');
      for (const member of members as unknown as { userId: string; name: string }[])
        names.set(member.userId, member.name);
    }
    return messages.map((m) =>
      toWireMessage(linked(m), m.authorUserId ? (names.get(m.authorUserId) ?? null) : null),
    );
  }

  async conversation(identity: VisitorIdentity): Promise<Conversation> {
    const conversation = await Conversation.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .findById(identity.conversationId);
    if (!conversation) throw new WidgetError('not_found', 'The conversation no longer exists.');
    return conversation;
  }

  /** A message of the visitor's conversation that the visitor may see; undefined for internal notes. */
  async visibleMessage(identity: VisitorIdentity, messageId: string): Promise<Message | undefined> {
    return Message.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .findOne({ id: messageId, conversationId: identity.conversationId, internal: false });
  }

  /** Replies (assistant and agents) the visitor has not read yet. */
  async unreadCount(identity: VisitorIdentity): Promise<number> {
    const conversation = await this.conversation(identity);
    const query = Message.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .where({ conversationId: identity.conversationId, internal: false })
      .whereIn('role', ['assistant', 'agent']);
    if (conversation.visitorReadAt) query.where('createdAt', '>', conversation.visitorReadAt);
    return query.resultSize();
  }

  /**
   * Whether the organization's visitors may send another message this hour (its settings'
   * `anonymousMessagesPerHour`); a refusal is recorded as a usage event the console shows admins.
   */
  async withinMessageBudget(identity: VisitorIdentity): Promise<boolean> {
    const { knex } = this.deps;
    const settings = await OrganizationSettings.query(knex)
      .forOrganization(identity.organizationId)
      .findById(identity.organizationId);
    const budget = settings?.anonymousMessagesPerHour ?? DEFAULT_ANONYMOUS_MESSAGES_PER_HOUR;
    const sent = await Message.query(knex)
      .forOrganization(identity.organizationId)
      .where('role', 'visitor')
      .where('createdAt', '>', new Date(Date.now() - 3600 * 1000))
      .resultSize();
    if (sent < budget) return true;
    await recordRefusal(
      knex,
      identity.organizationId,
      'messages',
      'anonymous_messages_per_hour',
      hourWindow(),
    );
    return false;
  }

  /** Stores the visitor's message (idempotent on its client id) and starts the chat turn. */
  async send(
    identity: VisitorIdentity,
    input: { clientMessageId: string; content: string; attachmentIds?: string[] },
  ): Promise<Message> {
    const attachments = await this.attachmentRefs(identity, input.attachmentIds ?? []);
    const content =
      input.content.trim() ||
      (attachments.length ? attachments.map((a) => `📎 ${a.filename}`).join('\n') : '');
    if (!content) throw new WidgetError('invalid_message', 'The message is empty.');
    const { message } = await this.deps.conversations.postVisitorMessage(
      identity.organizationId,
      identity.conversationId,
      {
        content,
        clientMessageId: input.clientMessageId,
        attachments,
      },
    );
    return message;
  }

  /** The "talk to a human" button: a visitor message asking for a person, which the turn escalates. */
  escalate(identity: VisitorIdentity, clientMessageId: string): Promise<Message> {
    return this.send(identity, { clientMessageId, content: HUMAN_REQUEST });
  }

  async markRead(identity: VisitorIdentity, messageId: string): Promise<void> {
    const message = await Message.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .findOne({ id: messageId, conversationId: identity.conversationId });
    if (!message) throw new WidgetError('not_found', 'No such message in this conversation.');
    await this.deps.knex.transaction(async (trx) => {
      await Conversation.query(trx)
        .forOrganization(identity.organizationId)
        .patch({ visitorReadAt: message.createdAt })
        .where('id', identity.conversationId)
        .where((q) => {
          q.whereNull('visitorReadAt').orWhere('visitorReadAt', '<', message.createdAt);
        });
      await publish(trx, {
        type: 'read',
        organizationId: identity.organizationId,
        conversationId: identity.conversationId,
        by: 'visitor',
        at: new Date(message.createdAt).toISOString(),
      });
    });
  }

  async typing(identity: VisitorIdentity, active: boolean): Promise<void> {
    await publish(this.deps.knex, {
      type: 'typing',
      organizationId: identity.organizationId,
      conversationId: identity.conversationId,
      who: 'visitor',
      active,
    });
  }

  /** The post-chat rating (CSAT, 1–5); rating again replaces the earlier rating. */
  async rate(identity: VisitorIdentity, rating: number): Promise<void> {
    await Conversation.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .patch({ csatRating: rating })
      .where('id', identity.conversationId);
  }

  private async attachmentRefs(identity: VisitorIdentity, ids: string[]): Promise<AttachmentRef[]> {
    if (ids.length === 0) return [];
    const rows = await Attachment.query(this.deps.knex)
      .forOrganization(identity.organizationId)
      .where('conversationId', identity.conversationId)
      .whereIn('id', ids)
      .select('id', 'filename', 'contentType', 'sizeBytes');
    if (rows.length !== new Set(ids).size)
      throw new WidgetError('not_found', 'An attachment does not belong to this conversation.');
    return rows.map((a) => ({
      id: a.id,
      filename: a.filename,
      contentType: a.contentType,
      sizeBytes: a.sizeBytes,
    }));
  }
}
