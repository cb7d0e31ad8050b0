/**
 * The embeddable chat widget: `<script src="https://<parley>/widget.js" data-key="<widget key>">`.
 * It renders in a Shadow DOM (the host page's CSS cannot break it), speaks the widget protocol over a
 * WebSocket (falling back to server-sent events and POSTs), resumes the visitor's conversation from a
 * token kept in localStorage, and shows every message as text — never as HTML.
 *
 * This module starts the session and wires the two halves: the transport (./transport.ts: connection,
 * reconnection, resumption, the outbox) and the view (./view.ts: the DOM and its rendering).
 */
import type { ServerFrame, WireMessage } from '../../live/protocol';
import { WIDGET_CSS } from './styles';
import { WidgetTransport } from './transport';
import { WidgetView, type Look } from './view';

interface Session {
  token: string;
  conversationId: string;
  organizationName: string;
  look: Look;
}

const script = document.currentScript as HTMLScriptElement | null;
const widgetKey = script?.dataset.key ?? '';
const base = script ? new URL(script.src, location.href).origin : location.origin;
const storageKey = `parley:${widgetKey}`;

const newId = (): string =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;

class ParleyWidget {
  private session: Session | undefined;
  private typingTimer: number | undefined;
  private readonly transport: WidgetTransport;
  private readonly view: WidgetView;

  constructor(root: ShadowRoot) {
    this.transport = new WidgetTransport({
      base,
      key: widgetKey,
      openSocket: 'WebSocket' in window ? (url) => new WebSocket(url) : undefined,
    });
    this.transport.on('frame', (frame) => this.receive(frame));
    this.transport.on('unauthorized', () => {
      // The token no longer works (e.g. the conversation was deleted): start over.
      localStorage.removeItem(`${storageKey}:token`);
      void this.start();
    });
    this.view = new WidgetView(
      root,
      {
        base,
        introduced: localStorage.getItem(`${storageKey}:introduced`) === 'yes',
        attachmentUrl: (id) => {
          const params = new URLSearchParams({ key: widgetKey, token: this.session!.token });
          return `${base}/widget/v1/attachments/${encodeURIComponent(id)}?${params}`;
        },
      },
      {
        submit: (content) => this.submit(content),
        typing: () => this.typing(),
        escalate: () => this.transport.send({ type: 'escalate', clientMessageId: newId() }),
        rate: (rating) => this.transport.send({ type: 'rate', rating }),
        opened: (messageId) => {
          if (messageId) this.transport.send({ type: 'read', messageId });
        },
        attach: (file) => void this.upload(file),
        introduce: (name, email) => void this.introduce(name, email),
      },
    );
  }

  async start(): Promise<void> {
    this.session = await this.createSession(localStorage.getItem(`${storageKey}:token`) ?? undefined);
    this.view.applyLook(this.session.look, this.session.organizationName);
    this.transport.connect(this.session.token);
  }

  private async createSession(
    token?: string,
    visitor: { name?: string; email?: string } = {},
  ): Promise<Session> {
    const response = await fetch(`${base}/widget/v1/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: widgetKey, ...(token ? { token } : {}), ...visitor }),
    });
    if (!response.ok) {
      const problem = (await response.json().catch(() => ({}))) as { detail?: string };
      throw new Error(problem.detail ?? `The chat is unavailable (${response.status}).`);
    }
    const session = (await response.json()) as Session;
    localStorage.setItem(`${storageKey}:token`, session.token);
    return session;
  }

  /** The server's frames, rendered. */
  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.view.welcomed(frame.handledBy);
        frame.messages.forEach((m) => this.show(m));
        this.view.setUnread(this.view.open ? 0 : frame.unread);
        break;
      case 'message':
        this.show(frame.message);
        break;
      case 'token':
        this.view.stream(frame);
        break;
      case 'typing':
        this.view.setTyping(frame.active ? frame.who : undefined);
        break;
      case 'unread':
        if (!this.view.open) this.view.setUnread(frame.count);
        break;
      case 'error':
        this.view.showNotice(frame.message);
        break;
      default:
        break;
    }
  }

  /** A reply shown in the open panel is read at once; in a closed one it may notify. */
  private show(message: WireMessage): void {
    if (!this.view.show(message) || message.role === 'visitor') return;
    if (this.view.open) this.transport.send({ type: 'read', messageId: message.id });
    else this.view.notify(message, this.session?.organizationName);
  }

  private submit(content: string, attachmentIds?: string[]): void {
    if (!content && !attachmentIds?.length) return;
    const clientMessageId = newId();
    this.view.pending(content, clientMessageId);
    this.transport.send({
      type: 'message',
      clientMessageId,
      content,
      ...(attachmentIds ? { attachmentIds } : {}),
    });
    this.transport.send({ type: 'typing', active: false });
  }

  private async upload(file: File): Promise<void> {
    if (!this.session) return;
    const form = new FormData();
    form.append('file', file);
    const response = await fetch(`${base}/widget/v1/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.session.token}`, 'X-Widget-Key': widgetKey },
      body: form,
    });
    const body = (await response.json()) as { id?: string; detail?: string };
    if (!response.ok || !body.id) {
      this.view.showNotice(body.detail ?? 'The file could not be attached.');
      return;
    }
    this.submit(this.view.draft, [body.id]);
  }

  private async introduce(name: string, email: string): Promise<void> {
    localStorage.setItem(`${storageKey}:introduced`, 'yes');
    if ((name || email) && this.session) {
      await this.createSession(this.session.token, {
        ...(name ? { name } : {}),
        ...(email ? { email } : {}),
      }).catch(() => undefined);
    }
  }

  private typing(): void {
    if (this.typingTimer === undefined) this.transport.send({ type: 'typing', active: true });
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = undefined;
      this.transport.send({ type: 'typing', active: false });
    }, 3000);
  }
}

function mount(): void {
  if (!widgetKey || document.getElementById('parley-widget')) return;
  const host = document.createElement('div');
  host.id = 'parley-widget';
  document.body.append(host);
  const root = host.attachShadow({ mode: 'open' });
  if ('adoptedStyleSheets' in root) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    const style = document.createElement('style');
    style.textContent = WIDGET_CSS;
    (root as ShadowRoot).append(style);
  }
  const widget = new ParleyWidget(root);
  widget
    .start()
    .catch((error: unknown) => console.warn('[parley]', error instanceof Error ? error.message : error));
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount);
else mount();
