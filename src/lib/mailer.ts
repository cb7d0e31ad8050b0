import nodemailer from 'nodemailer';
import type { Config } from '../config';
import type { Logger } from './logger';

export interface Email {
  to: string;
  subject: string;
  text: string;
}

/** Sends Parley's transactional email (password resets, verifications, invitations) over SMTP. */
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
    // Fail fast when the mail server is down: callers log the failure and carry on.
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
