/**
 * The embeddable chat widget: `<script src="https://<parley>/widget.js" data-key="<widget key>">`.
 * It renders in a Shadow DOM (the host page's CSS cannot break it), speaks the widget protocol over a
 * WebSocket (falling back to server-sent events and POSTs), resumes the visitor's conversation from a
 * token kept in localStorage, and shows every message as text — never as HTML.
 */
import type { ClientFrame, ServerFrame, WireMessage } from '../../live/protocol';
import { WIDGET_CSS } from './styles';

interface Look {
  color?: string;
  position?: 'left' | 'right';
  greeting?: string;
  avatarUrl?: string;
  launcherText?: string;
}

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

const CLIP_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';
const CHAT_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

/** Builds an element with text content only (no HTML parsing of anything dynamic). */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

const safeUrl = (url: string | null | undefined): string | undefined => {
  if (!url) return undefined;
  try {
    const parsed = new URL(url, base);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
};

/**
 * After this long without a reply the visitor is told the question is kept (the turn is durable: it is
 * answered once a worker runs again), rather than watching "typing…" without end.
 */
const SLOW_REPLY_MS = 15_000;
const SLOW_REPLY_TEXT =
  'This is taking longer than usual. Your question is saved: the answer will appear here, even if you come back later.';

/** "Dana Ortiz" → "DO": the avatar of an agent's reply. */
const initials = (name: string): string =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase())
    .join('') || '?';

/**
 * After this long without a word from the visitor since the last reply, the conversation has gone
 * quiet and the widget asks for a rating (CSAT).
 */
const QUIET_MS = 120_000;

const newId = (): string =>
  typeof crypto.randomUUID === 'function'
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(36).slice(2)}`;

class ParleyWidget {
  private session: Session | undefined;
  private socket: WebSocket | undefined;
  private events: EventSource | undefined;
  private reconnectAttempt = 0;
  private useFallback = !('WebSocket' in window);
  private open = false;
  private lastMessageId: string | undefined;
  private readonly rendered = new Map<string, HTMLElement>();
  private readonly streaming = new Map<string, HTMLElement>();
  /** Sent but not yet acknowledged: resent after a reconnect (the server deduplicates by id). */
  private readonly outbox = new Map<string, ClientFrame>();
  private typingTimer: number | undefined;
  private slowReplyTimer: number | undefined;
  private quietTimer: number | undefined;
  private readonly ui: ReturnType<ParleyWidget['build']>;

  constructor(private readonly root: ShadowRoot) {
    this.ui = this.build();
  }

  private build() {
    const container = el('div', { class: 'root', part: 'root' });
    const launcher = el('button', {
      class: 'launcher',
      type: 'button',
      'aria-expanded': 'false',
      'aria-controls': 'parley-panel',
    });
    launcher.innerHTML = CHAT_ICON; // a constant icon, no dynamic content
    const launcherLabel = el('span', {}, 'Chat with us');
    const badge = el('span', { class: 'badge', 'aria-label': '0 unread messages' });
    badge.hidden = true;
    launcher.append(launcherLabel, badge);

    const panel = el('section', { class: 'panel', id: 'parley-panel', role: 'dialog', 'aria-label': 'Chat' });
    panel.hidden = true;
    const header = el('header');
    const avatar = el('img', { alt: '' });
    avatar.hidden = true;
    const title = el('h2', {}, 'Support');
    const close = el('button', { class: 'close', type: 'button', 'aria-label': 'Close chat' }, '×');
    header.append(avatar, title, close);

    const log = el('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions' });
    const typing = el('div', { class: 'typing', 'aria-live': 'polite' });
    typing.hidden = true;
    const notice = el('div', { class: 'notice', role: 'alert' });
    notice.hidden = true;

    const actions = el('div', { class: 'actions' });
    const human = el('button', { class: 'human', type: 'button' }, 'Talk to a human');
    actions.append(human);

    const csat = el('div', { class: 'csat', role: 'group', 'aria-label': 'Rate this conversation' });
    // Shown once the conversation has gone quiet after a reply: the rating feeds the CSAT analytics.
    csat.hidden = true;
    csat.append(el('span', {}, 'How did we do?'));
    const thanks = el('p', { class: 'thanks', role: 'status' });
    thanks.hidden = true;
    const ratings = [1, 2, 3, 4, 5].map((n) => {
      const button = el(
        'button',
        { type: 'button', 'aria-pressed': 'false', 'aria-label': `${n} out of 5` },
        '★'.repeat(n),
      );
      button.addEventListener('click', () => this.rate(n, ratings));
      return button;
    });
    csat.append(...ratings);

    const composer = el('form', { class: 'composer' });
    const label = el('label', { class: 'sr-only', for: 'parley-input' }, 'Your message');
    const input = el('textarea', {
      id: 'parley-input',
      rows: '1',
      placeholder: 'Type your message…',
      maxlength: '4000',
    });
    const attach = el('button', { class: 'icon', type: 'button', 'aria-label': 'Attach an image or PDF' });
    attach.innerHTML = CLIP_ICON; // a constant icon, no dynamic content
    const file = el('input', {
      type: 'file',
      accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf',
      hidden: '',
    });
    const send = el('button', { class: 'send', type: 'submit' }, 'Send');
    composer.append(label, attach, file, input, send);

    // Optional pre-chat form: a name and an email let the team follow up; skipping is fine.
    const prechat = el('form', { class: 'prechat', 'aria-label': 'Introduce yourself (optional)' });
    const nameInput = el('input', {
      type: 'text',
      name: 'name',
      autocomplete: 'name',
      'aria-label': 'Your name (optional)',
      placeholder: 'Your name (optional)',
      maxlength: '200',
    });
    const emailInput = el('input', {
      type: 'email',
      name: 'email',
      autocomplete: 'email',
      'aria-label': 'Your email (optional)',
      placeholder: 'Your email (optional)',
      maxlength: '254',
    });
    const start = el('button', { class: 'send', type: 'submit' }, 'Start chatting');
    const skip = el('button', { class: 'human', type: 'button' }, 'Skip');
    prechat.append(nameInput, emailInput, start, skip);
    prechat.hidden = localStorage.getItem(`${storageKey}:introduced`) === 'yes';
    prechat.addEventListener('submit', (e) => {
      e.preventDefault();
      void this.introduce(nameInput.value.trim(), emailInput.value.trim());
    });
    skip.addEventListener('click', () => void this.introduce('', ''));

    panel.append(header, prechat, log, typing, notice, actions, csat, thanks, composer);
    container.append(panel, launcher);
    this.root.append(container);

    launcher.addEventListener('click', () => this.toggle(!this.open));
    close.addEventListener('click', () => this.toggle(false));
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.toggle(false);
    });
    composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.submit();
      }
    });
    input.addEventListener('input', () => this.typing());
    human.addEventListener('click', () => {
      // One request is enough: the button stays hidden while people handle the conversation.
      human.hidden = true;
      this.transmit({ type: 'escalate', clientMessageId: newId() });
    });
    attach.addEventListener('click', () => file.click());
    file.addEventListener('change', () => void this.upload(file));
    return {
      container,
      launcher,
      launcherLabel,
      badge,
      panel,
      prechat,
      avatar,
      title,
      log,
      typing,
      notice,
      human,
      csat,
      thanks,
      input,
    };
  }

  async start(): Promise<void> {
    this.session = await this.createSession(localStorage.getItem(`${storageKey}:token`) ?? undefined);
    this.applyLook(this.session);
    this.connect();
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

  private applyLook({ look, organizationName }: Session): void {
    const { container, launcherLabel, title, avatar } = this.ui;
    if (look.color && /^#[0-9a-f]{6}$/i.test(look.color)) container.style.setProperty('--accent', look.color);
    if (look.position === 'left') container.classList.add('left');
    launcherLabel.textContent = look.launcherText ?? 'Chat with us';
    title.textContent = organizationName;
    const avatarUrl = safeUrl(look.avatarUrl);
    if (avatarUrl) {
      avatar.src = avatarUrl;
      avatar.hidden = false;
    }
    if (look.greeting && this.rendered.size === 0) {
      this.ui.log.append(this.bubble('assistant', look.greeting));
    }
  }

  // ---- transport -------------------------------------------------------------------------------

  private connect(): void {
    if (this.useFallback) {
      this.connectEvents();
      return;
    }
    const url = `${base.replace(/^http/, 'ws')}/widget/v1/ws?key=${encodeURIComponent(widgetKey)}`;
    const socket = new WebSocket(url);
    this.socket = socket;
    let greeted = false;
    socket.addEventListener('open', () => {
      socket.send(
        JSON.stringify({ type: 'hello', token: this.session!.token, lastMessageId: this.lastMessageId }),
      );
    });
    socket.addEventListener('message', (event) => {
      greeted = true;
      this.receive(JSON.parse(String(event.data)) as ServerFrame);
    });
    socket.addEventListener('close', (event) => {
      this.socket = undefined;
      if (event.code === 4401) {
        // The token no longer works (e.g. the conversation was deleted): start over.
        localStorage.removeItem(`${storageKey}:token`);
        void this.start();
        return;
      }
      if (!greeted && this.reconnectAttempt >= 2) this.useFallback = true;
      this.scheduleReconnect();
    });
  }

  private connectEvents(): void {
    const params = new URLSearchParams({ key: widgetKey, token: this.session!.token });
    if (this.lastMessageId) params.set('lastMessageId', this.lastMessageId);
    const events = new EventSource(`${base}/widget/v1/events?${params}`);
    this.events = events;
    events.onmessage = (event) => this.receive(JSON.parse(String(event.data)) as ServerFrame);
    events.onerror = () => {
      events.close();
      this.events = undefined;
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const delay = Math.min(15_000, 500 * 2 ** this.reconnectAttempt++) * (0.5 + Math.random() / 2);
    window.setTimeout(() => this.connect(), delay);
  }

  private transmit(frame: ClientFrame): void {
    if ('clientMessageId' in frame) this.outbox.set(frame.clientMessageId, frame);
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(frame));
    } else if (this.useFallback && this.session) {
      void fetch(`${base}/widget/v1/frames`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Authorization: `Bearer ${this.session.token}`,
          'X-Widget-Key': widgetKey,
        },
        body: JSON.stringify(frame),
      })
        .then((r) => r.json() as Promise<{ frames?: ServerFrame[] }>)
        .then((body) => body.frames?.forEach((f) => this.receive(f)));
    }
  }

  // ---- protocol --------------------------------------------------------------------------------

  private receive(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        this.reconnectAttempt = 0;
        this.ui.notice.hidden = true;
        this.ui.human.hidden = frame.handledBy === 'agent';
        frame.messages.forEach((m) => this.show(m));
        this.setUnread(this.open ? 0 : frame.unread);
        // Whatever was sent while disconnected goes again; the server answers duplicates with the same id.
        for (const pending of this.outbox.values()) this.transmit(pending);
        break;
      case 'ack':
        this.outbox.delete(frame.clientMessageId);
        break;
      case 'message':
        this.show(frame.message);
        break;
      case 'token': {
        let bubble = this.streaming.get(frame.replyTo);
        if (!bubble) {
          bubble = this.bubble('assistant', '');
          this.streaming.set(frame.replyTo, bubble);
          this.ui.log.append(bubble);
        }
        const text = bubble.querySelector('.text')!;
        // A retried generation (its worker died, say) streams again from seq 0: start the text over.
        const restarted = frame.seq <= Number(bubble.dataset.seq ?? -1);
        text.textContent = (restarted ? '' : text.textContent) + frame.delta;
        bubble.dataset.seq = String(frame.seq);
        this.setTyping(undefined);
        this.scroll();
        break;
      }
      case 'typing':
        this.setTyping(frame.active ? frame.who : undefined);
        break;
      case 'unread':
        if (!this.open) this.setUnread(frame.count);
        break;
      case 'error':
        this.showNotice(frame.message);
        break;
      default:
        break;
    }
  }

  private show(message: WireMessage): void {
    if (this.rendered.has(message.id)) return;
    this.lastMessageId = message.id;
    let bubble: HTMLElement;
    const pending = message.clientMessageId
      ? this.ui.log.querySelector(`[data-client-id="${CSS.escape(message.clientMessageId)}"]`)
      : null;
    const streamed = message.replyToMessageId ? this.streaming.get(message.replyToMessageId) : undefined;
    if (pending instanceof HTMLElement) {
      bubble = pending;
      bubble.classList.remove('pending');
    } else if (streamed) {
      // The streamed bubble becomes the final message, with its citations.
      bubble = streamed;
      this.streaming.delete(message.replyToMessageId!);
      bubble.querySelector('.text')!.textContent = message.content;
    } else {
      bubble = this.bubble(message.role, message.content, undefined, message.author);
      this.ui.log.append(bubble);
    }
    bubble.dataset.id = message.id;
    this.rendered.set(message.id, bubble);
    this.decorate(bubble, message);
    // A person wrote or joined: "Talk to a human" would only post a second request.
    if (message.role === 'agent' || message.clientMessageId?.startsWith('take-over-'))
      this.ui.human.hidden = true;
    if (message.role === 'visitor') {
      window.clearTimeout(this.quietTimer);
      this.ui.csat.hidden = true;
    } else {
      this.setTyping(undefined);
      window.clearTimeout(this.quietTimer);
      if (this.ui.thanks.hidden)
        this.quietTimer = window.setTimeout(() => {
          this.ui.csat.hidden = false;
        }, QUIET_MS);
      if (this.open) this.transmit({ type: 'read', messageId: message.id });
      else this.notify(message);
    }
    this.scroll();
  }

  private bubble(role: string, text: string, clientId?: string, author?: string | null): HTMLElement {
    const bubble = el('div', { class: `msg ${role}` });
    if (clientId) {
      bubble.dataset.clientId = clientId;
      bubble.classList.add('pending');
    }
    if (role === 'agent') {
      // The person who wrote, by name and initials (replies of people no longer in the team: the team).
      const name = author ?? 'Support team';
      const who = el('span', { class: 'who' });
      who.append(
        el('span', { class: 'initials', 'aria-hidden': 'true' }, initials(name)),
        el('span', {}, name),
      );
      bubble.append(who);
    }
    bubble.append(el('span', { class: 'text' }, text));
    return bubble;
  }

  private decorate(bubble: HTMLElement, message: WireMessage): void {
    if (message.citations.length && !bubble.querySelector('.cites')) {
      const cites = el('ol', { class: 'cites', 'aria-label': 'Sources' });
      // Numbered as the reply's [n] markers; a source opens to the words the reply quotes from it.
      message.citations.forEach((citation, i) => {
        const item = el('li');
        const label = `[${i + 1}] ${citation.section ?? citation.title}`;
        const href = safeUrl(citation.url);
        const link = href
          ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, 'Open the article')
          : undefined;
        if (citation.snippet) {
          const details = el('details');
          details.append(el('summary', {}, label), el('blockquote', {}, citation.snippet));
          if (link) details.append(link);
          item.append(details);
        } else if (href) {
          item.append(el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label));
        } else {
          item.append(el('span', {}, label));
        }
        cites.append(item);
      });
      bubble.append(cites);
    }
    if (message.attachments.length && !bubble.querySelector('.files')) {
      const files = el('div', { class: 'files' });
      for (const attachment of message.attachments) {
        const params = new URLSearchParams({ key: widgetKey, token: this.session!.token });
        const href = `${base}/widget/v1/attachments/${encodeURIComponent(attachment.id)}?${params}`;
        files.append(
          attachment.contentType.startsWith('image/')
            ? el('img', { src: href, alt: attachment.filename })
            : el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, attachment.filename),
        );
      }
      bubble.append(files);
    }
  }

  // ---- actions ---------------------------------------------------------------------------------

  private submit(content = this.ui.input.value.trim(), attachmentIds?: string[]): void {
    if (!content && !attachmentIds?.length) return;
    const clientMessageId = newId();
    this.ui.log.append(this.bubble('visitor', content, clientMessageId));
    this.scroll();
    this.ui.input.value = '';
    this.transmit({ type: 'message', clientMessageId, content, ...(attachmentIds ? { attachmentIds } : {}) });
    this.transmit({ type: 'typing', active: false });
  }

  private async upload(input: HTMLInputElement): Promise<void> {
    const file = input.files?.[0];
    input.value = '';
    if (!file || !this.session) return;
    const form = new FormData();
    form.append('file', file);
    const response = await fetch(`${base}/widget/v1/attachments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.session.token}`, 'X-Widget-Key': widgetKey },
      body: form,
    });
    const body = (await response.json()) as { id?: string; detail?: string };
    if (!response.ok || !body.id) {
      this.showNotice(body.detail ?? 'The file could not be attached.');
      return;
    }
    this.submit(this.ui.input.value.trim(), [body.id]);
  }

  private async introduce(name: string, email: string): Promise<void> {
    localStorage.setItem(`${storageKey}:introduced`, 'yes');
    this.ui.prechat.hidden = true;
    this.ui.input.focus();
    if ((name || email) && this.session) {
      await this.createSession(this.session.token, {
        ...(name ? { name } : {}),
        ...(email ? { email } : {}),
      }).catch(() => undefined);
    }
  }

  private typing(): void {
    if (this.typingTimer === undefined) this.transmit({ type: 'typing', active: true });
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => {
      this.typingTimer = undefined;
      this.transmit({ type: 'typing', active: false });
    }, 3000);
  }

  private rate(rating: number, buttons: HTMLButtonElement[]): void {
    buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i + 1 === rating)));
    this.transmit({ type: 'rate', rating });
    this.ui.csat.hidden = true;
    this.ui.thanks.textContent = 'Thank you for your rating!';
    this.ui.thanks.hidden = false;
  }

  private toggle(open: boolean): void {
    this.open = open;
    this.ui.panel.hidden = !open;
    this.ui.container.classList.toggle('open', open);
    this.ui.launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      this.setUnread(0);
      const last = [...this.rendered.entries()].pop();
      if (last) this.transmit({ type: 'read', messageId: last[0] });
      this.ui.input.focus();
      this.scroll();
    } else {
      this.ui.launcher.focus();
    }
  }

  // ---- presentation ----------------------------------------------------------------------------

  private setTyping(who: string | undefined): void {
    this.ui.typing.hidden = !who;
    this.ui.typing.textContent =
      who === 'agent' ? 'An agent is typing…' : who ? 'The assistant is typing…' : '';
    window.clearTimeout(this.slowReplyTimer);
    if (who === 'assistant') {
      this.slowReplyTimer = window.setTimeout(() => {
        this.ui.typing.textContent = SLOW_REPLY_TEXT;
      }, SLOW_REPLY_MS);
    }
  }

  private setUnread(count: number): void {
    this.ui.badge.hidden = count === 0;
    this.ui.badge.textContent = String(count);
    this.ui.badge.setAttribute('aria-label', `${count} unread message${count === 1 ? '' : 's'}`);
  }

  private notify(message: WireMessage): void {
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      new Notification(this.session?.organizationName ?? 'New message', {
        body: message.content.slice(0, 120),
      });
    }
  }

  private showNotice(text: string): void {
    this.ui.notice.textContent = text;
    this.ui.notice.hidden = false;
  }

  private scroll(): void {
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
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
