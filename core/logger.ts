import pino, { type DestinationStream, type Logger } from 'pino';
import { tracing } from './tracing.ts';

/**
 * Paths pino blanks out wherever they appear in a log object. Secrets are never logged on
 * purpose; this catches the accidental cases (an error carrying request headers or options).
 */
export const redactPaths = [
  'token',
  '*.token',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'signingSecret',
  '*.signingSecret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
  'headers["x-slack-signature"]',
  '*.headers["x-slack-signature"]',
  'connectionString',
  '*.connectionString',
  'config.headers.Authorization',
  '*.config.headers.Authorization',
];

const untraced = {};

/** A line written inside a traced request or job carries its trace id, which leads to the trace. */
function traceFields(): { traceId?: string } {
  const traceId = tracing().traceId();
  return traceId ? { traceId } : untraced;
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'dpbot' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      mixin: traceFields,
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
