import { ErrorCode, type WebAPICallError } from '@slack/web-api';
import { errorMessage } from '../../core/errors.ts';

/** Slack's error code (`not_in_channel`) when the Web API answered one, else the message. */
export function slackError(error: unknown): string {
  const e = error as Partial<WebAPICallError> & { data?: { error?: string } };
  if (e.code === ErrorCode.PlatformError && e.data?.error) return e.data.error;
  if (e.code === ErrorCode.RateLimitedError) return 'rate limited';
  return errorMessage(error);
}

export function isSlackError(error: unknown, ...codes: string[]): boolean {
  const e = error as Partial<WebAPICallError> & { data?: { error?: string } };
  return e.code === ErrorCode.PlatformError && codes.includes(e.data?.error ?? '');
}
