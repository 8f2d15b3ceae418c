import { verifySlackRequest } from '@slack/bolt';

/** Slack's requests are valid for five minutes either side of now. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

export type Verification = { ok: true; signature: string } | { ok: false; reason: string };

/**
 * Checks `X-Slack-Signature` (HMAC-SHA256 of `v0:<timestamp>:<raw body>`, compared in constant
 * time by Bolt's verifier) and that `X-Slack-Request-Timestamp` is within five minutes of now in
 * either direction (Bolt's own check only looks back, which would let a future-dated request
 * outlive the replay record).
 */
export function verifySignature(input: {
  signingSecret: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs?: number;
}): Verification {
  const { signature, timestamp } = input;
  if (!signature || !timestamp)
    return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'malformed X-Slack-Request-Timestamp' };
  const nowMs = input.nowMs ?? Date.now();
  if (Math.abs(Math.floor(nowMs / 1000) - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: 'stale or future X-Slack-Request-Timestamp' };
  }
  try {
    verifySlackRequest({
      signingSecret: input.signingSecret,
      body: input.rawBody,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(timestamp) },
      nowMilliseconds: nowMs,
    });
  } catch {
    return { ok: false, reason: 'signature mismatch' };
  }
  return { ok: true, signature };
}
