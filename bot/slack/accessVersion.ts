import type { IncomingMessage } from 'node:http';

/**
 * The access version read by the HTTP server's replay check travels to the listeners on the
 * request and then in Bolt's context (its custom properties), so that the identity can use the
 * groups and grants it keeps in memory without a round trip of its own.
 */
const PROPERTY = 'dpbotAccessVersion';

type Carrier = IncomingMessage & { [PROPERTY]?: number };

export function rememberAccessVersion(req: IncomingMessage, version: number | undefined): void {
  if (version !== undefined) (req as Carrier)[PROPERTY] = version;
}

/** For HTTPReceiver's customPropertiesExtractor. */
export function accessVersionProperties(req: IncomingMessage): Record<string, number> {
  const version = (req as Carrier)[PROPERTY];
  return version === undefined ? {} : { [PROPERTY]: version };
}

/** The version in a listener's context; undefined over Socket Mode (no replay check there). */
export function accessVersionOf(context: Record<string, unknown>): number | undefined {
  const version = context[PROPERTY];
  return typeof version === 'number' ? version : undefined;
}
