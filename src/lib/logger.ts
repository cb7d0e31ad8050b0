import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Credentials some clients can only send in a URL: visitor tokens (EventSource, img src), email links. */
const SECRET_PARAMETER = /([?&]token=)[^&#]*/gi;

/** The URL as it may be logged or echoed: secret query parameters replaced. */
export const redactUrl = (url: string): string => url.replace(SECRET_PARAMETER, '$1[redacted]');

/** Structured JSON logs; request, organization and workflow ids travel as child-logger fields. */
export function createLogger(
  options: { level: string; name: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'req.query.token',
          '*.password',
          '*.token',
          '*.apiKey',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
