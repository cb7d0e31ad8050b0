import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedEmail {
  to: string[];
  subject: string;
  text: string;
}

/**
 * A real SMTP server on an ephemeral port that keeps every message it receives. `refuseNext` makes it
 * answer the next messages with an SMTP error instead, as a busy (4xx) or refusing (5xx) server does.
 */
export class Mailbox {
  readonly messages: ReceivedEmail[] = [];
  /** How many messages it refused. */
  refused = 0;
  private refusals: { remaining: number; code: number } = { remaining: 0, code: 451 };
  private readonly server: SMTPServer;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, _session, callback) => {
        if (this.refusals.remaining > 0) {
          this.refusals.remaining--;
          this.refused++;
          stream.resume();
          stream.on('end', () => {
            const error = Object.assign(new Error(`Test mailbox refuses (${this.refusals.code})`), {
              responseCode: this.refusals.code,
            });
            callback(error);
          });
          return;
        }
        simpleParser(stream)
          .then((mail) => {
            const to = [mail.to ?? []].flat().flatMap((a) => a.value.map((v) => v.address ?? ''));
            this.messages.push({ to, subject: mail.subject ?? '', text: mail.text ?? '' });
            callback();
          })
          .catch(callback);
      },
    });
  }

  /** Refuses the next `count` messages with `code` (4xx: try again later; 5xx: never). */
  refuseNext(count: number, code = 451): void {
    this.refusals = { remaining: count, code };
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.server.address() as AddressInfo).port;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Waits for the next message to `address` whose subject matches, and returns it. */
  async waitFor(address: string, subject: RegExp, timeoutMs = 10_000): Promise<ReceivedEmail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(
        (m) => m.to.includes(address.toLowerCase()) && subject.test(m.subject),
      );
      if (found) {
        this.messages.splice(this.messages.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no email to ${address} matching ${subject} arrived`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** The token of the first link in an email's text. */
export function linkToken(email: ReceivedEmail): string {
  const url = /https?:\/\/\S+/.exec(email.text)?.[0];
  const token = url ? new URL(url).searchParams.get('token') : null;
  if (!token) throw new Error(`no link with a token in: ${email.text}`);
  return token;
}
