import nodemailer from 'nodemailer';
import type { Config } from '../config';
import type { Logger } from './logger';

export interface Email {
  to: string;
  subject: string;
  text: string;
  /** The Message-ID header (`<id@host>`); nodemailer makes one up when absent. */
  messageId?: string;
}

/** Sends Parley's email over SMTP; the worker's email activities are its only callers. */
export interface Mailer {
  send(email: Email): Promise<void>;
  close(): void;
}

export function createMailer(config: Config['smtp'], logger: Logger): Mailer {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    auth: config.user ? { user: config.user, pass: config.password } : undefined,
    pool: true,
    // Fail fast when the mail server is down: the delivery workflow retries with backoff.
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  });
  return {
    async send(email) {
      const info = await transport.sendMail({ from: config.from, ...email });
      logger.info({ messageId: info.messageId, subject: email.subject }, 'email sent');
    },
    close: () => transport.close(),
  };
}
