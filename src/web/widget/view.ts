/**
 * The widget's view: it builds the launcher and the panel in the widget's Shadow DOM and renders
 * messages (streamed and final), sources, attachments, typing, unread counts, notices and the rating.
 * Every dynamic value is set as text, never parsed as HTML. It speaks no protocol: what the visitor does
 * goes to the `ViewActions` it was given.
 */
import type { ServerFrame, WireMessage } from '../../live/protocol';

export interface Look {
  color?: string;
  position?: 'left' | 'right';
  greeting?: string;
  avatarUrl?: string;
  launcherText?: string;
}

/** What the visitor asks for, through the view's controls. */
export interface ViewActions {
  /** The composer was sent (Enter or "Send"). */
  submit(content: string): void;
  /** A key was typed in the composer. */
  typing(): void;
  /** "Talk to a human". */
  escalate(): void;
  /** A rating, 1 to 5. */
  rate(rating: number): void;
  /** The panel opened; `lastMessageId` is the newest message shown, now read. */
  opened(lastMessageId: string | undefined): void;
  /** A file was chosen to attach. */
  attach(file: File): void;
  /** The pre-chat form was sent (or skipped, with both empty). */
  introduce(name: string, email: string): void;
}

export interface ViewOptions {
  /** The Parley origin: relative links resolve against it. */
  base: string;
  /** Whether the visitor already answered or skipped the pre-chat form. */
  introduced: boolean;
  /** Where an attachment of the conversation is served. */
  attachmentUrl(attachmentId: string): string;
}

const CLIP_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5H9v9a3 3 0 0 0 6 0V5a4.5 4.5 0 0 0-9 0v11.5a6 6 0 0 0 12 0v-10z"/></svg>';
const CHAT_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z"/></svg>';

/**
 * After this long without a reply the visitor is told the question is kept (the turn is durable: it is
 * answered once a worker runs again), rather than watching "typing…" without end.
 */
const SLOW_REPLY_MS = 15_000;
const SLOW_REPLY_TEXT =
  'This is taking longer than usual. Your question is saved: the answer will appear here, even if you come back later.';

/**
 * After this long without a word from the visitor since the last reply, the conversation has gone
 * quiet and the widget asks for a rating (CSAT).
 */
const QUIET_MS = 120_000;

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

/** "Dana Ortiz" → "DO": the avatar of an agent's reply. */
const initials = (name: string): string =>
  name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]!.toUpperCase())
    .join('') || '?';

export class WidgetView {
  private isOpen = false;
  private readonly rendered = new Map<string, HTMLElement>();
  private readonly streaming = new Map<string, HTMLElement>();
  private slowReplyTimer: number | undefined;
  private quietTimer: number | undefined;
  private readonly ui: ReturnType<WidgetView['build']>;

  constructor(
    private readonly root: ShadowRoot,
    private readonly options: ViewOptions,
    private readonly actions: ViewActions,
  ) {
    this.ui = this.build();
  }

  /** Whether the panel is open (messages shown are read; closed, they count as unread). */
  get open(): boolean {
    return this.isOpen;
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
    prechat.hidden = this.options.introduced;
    prechat.addEventListener('submit', (e) => {
      e.preventDefault();
      this.introduce(nameInput.value.trim(), emailInput.value.trim());
    });
    skip.addEventListener('click', () => this.introduce('', ''));

    panel.append(header, prechat, log, typing, notice, actions, csat, thanks, composer);
    container.append(panel, launcher);
    this.root.append(container);

    launcher.addEventListener('click', () => this.toggle(!this.isOpen));
    close.addEventListener('click', () => this.toggle(false));
    panel.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.toggle(false);
    });
    composer.addEventListener('submit', (e) => {
      e.preventDefault();
      this.actions.submit(input.value.trim());
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        this.actions.submit(input.value.trim());
      }
    });
    input.addEventListener('input', () => this.actions.typing());
    human.addEventListener('click', () => {
      // One request is enough: the button stays hidden while people handle the conversation.
      human.hidden = true;
      this.actions.escalate();
    });
    attach.addEventListener('click', () => file.click());
    file.addEventListener('change', () => {
      const chosen = file.files?.[0];
      file.value = '';
      if (chosen) this.actions.attach(chosen);
    });
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

  /** The organization's name and theme; the greeting opens an empty conversation. */
  applyLook(look: Look, organizationName: string): void {
    const { container, launcherLabel, title, avatar } = this.ui;
    if (look.color && /^#[0-9a-f]{6}$/i.test(look.color)) container.style.setProperty('--accent', look.color);
    if (look.position === 'left') container.classList.add('left');
    launcherLabel.textContent = look.launcherText ?? 'Chat with us';
    title.textContent = organizationName;
    const avatarUrl = this.safeUrl(look.avatarUrl);
    if (avatarUrl) {
      avatar.src = avatarUrl;
      avatar.hidden = false;
    }
    if (look.greeting && this.rendered.size === 0) {
      this.ui.log.append(this.bubble('assistant', look.greeting));
    }
  }

  /** A (re)connection was welcomed: "Talk to a human" shows while the assistant answers. */
  welcomed(handledBy: 'assistant' | 'agent'): void {
    this.ui.notice.hidden = true;
    this.ui.human.hidden = handledBy === 'agent';
  }

  /**
   * Renders a stored message: it takes the place of its pending bubble (the visitor's) or of its
   * streamed text (a reply). Returns false when the message is already shown.
   */
  show(message: WireMessage): boolean {
    if (this.rendered.has(message.id)) return false;
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
    }
    this.scroll();
    return true;
  }

  /** A piece of a streamed reply. */
  stream(frame: Extract<ServerFrame, { type: 'token' }>): void {
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
  }

  /** The visitor's message as sent, shown pending until it is stored; the composer empties. */
  pending(content: string, clientMessageId: string): void {
    this.ui.log.append(this.bubble('visitor', content, clientMessageId));
    this.scroll();
    this.ui.input.value = '';
  }

  /** What the composer holds (sent with an attachment). */
  get draft(): string {
    return this.ui.input.value.trim();
  }

  setTyping(who: string | undefined): void {
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

  setUnread(count: number): void {
    this.ui.badge.hidden = count === 0;
    this.ui.badge.textContent = String(count);
    this.ui.badge.setAttribute('aria-label', `${count} unread message${count === 1 ? '' : 's'}`);
  }

  showNotice(text: string): void {
    this.ui.notice.textContent = text;
    this.ui.notice.hidden = false;
  }

  /** A system notification for a message that arrived while the page is in the background. */
  notify(message: WireMessage, organizationName: string | undefined): void {
    if ('Notification' in window && Notification.permission === 'granted' && document.hidden) {
      new Notification(organizationName ?? 'New message', {
        body: message.content.slice(0, 120),
      });
    }
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
        const href = this.safeUrl(citation.url);
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
        const href = this.options.attachmentUrl(attachment.id);
        files.append(
          attachment.contentType.startsWith('image/')
            ? el('img', { src: href, alt: attachment.filename })
            : el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, attachment.filename),
        );
      }
      bubble.append(files);
    }
  }

  private introduce(name: string, email: string): void {
    this.ui.prechat.hidden = true;
    this.ui.input.focus();
    this.actions.introduce(name, email);
  }

  private rate(rating: number, buttons: HTMLButtonElement[]): void {
    buttons.forEach((b, i) => b.setAttribute('aria-pressed', String(i + 1 === rating)));
    this.actions.rate(rating);
    this.ui.csat.hidden = true;
    this.ui.thanks.textContent = 'Thank you for your rating!';
    this.ui.thanks.hidden = false;
  }

  private toggle(open: boolean): void {
    this.isOpen = open;
    this.ui.panel.hidden = !open;
    this.ui.container.classList.toggle('open', open);
    this.ui.launcher.setAttribute('aria-expanded', String(open));
    if (open) {
      this.setUnread(0);
      this.actions.opened([...this.rendered.keys()].pop());
      this.ui.input.focus();
      this.scroll();
    } else {
      this.ui.launcher.focus();
    }
  }

  /** http(s) links only, resolved against Parley's origin; anything else is dropped. */
  private safeUrl(url: string | null | undefined): string | undefined {
    if (!url) return undefined;
    try {
      const parsed = new URL(url, this.options.base);
      return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : undefined;
    } catch {
      return undefined;
    }
  }

  private scroll(): void {
    this.ui.log.scrollTop = this.ui.log.scrollHeight;
  }
}
