import { describe, expect, it } from 'vitest';
import { verifySignature } from '../../bot/slack/verify.ts';

// Slack's published example from "Verifying requests from Slack".
const secret = '8f742231b10e8888abcd99yyyzzz85a5';
const timestamp = '1531420618';
const body =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const expected = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
const at = Number(timestamp) * 1000;

describe('Slack request signature', () => {
  it("accepts Slack's published test vector", () => {
    expect(
      verifySignature({ signingSecret: secret, rawBody: body, signature: expected, timestamp, nowMs: at }),
    ).toEqual({
      ok: true,
      signature: expected,
    });
  });

  it('rejects a changed body, a wrong secret, a wrong version and a malformed signature', () => {
    const check = (over: Partial<Parameters<typeof verifySignature>[0]>) =>
      verifySignature({
        signingSecret: secret,
        rawBody: body,
        signature: expected,
        timestamp,
        nowMs: at,
        ...over,
      });
    expect(check({ rawBody: `${body}x` })).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check({ signingSecret: `${secret}x` })).toEqual({ ok: false, reason: 'signature mismatch' });
    expect(check({ signature: expected.replace('v0=', 'v1=') })).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(check({ signature: 'v0=' })).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('rejects timestamps more than five minutes away in either direction, and missing headers', () => {
    const check = (nowMs: number) =>
      verifySignature({ signingSecret: secret, rawBody: body, signature: expected, timestamp, nowMs });
    expect(check(at + 300_000).ok).toBe(true);
    expect(check(at + 301_000)).toEqual({ ok: false, reason: 'stale or future X-Slack-Request-Timestamp' });
    expect(check(at - 301_000)).toEqual({ ok: false, reason: 'stale or future X-Slack-Request-Timestamp' });
    expect(
      verifySignature({ signingSecret: secret, rawBody: body, signature: undefined, timestamp, nowMs: at })
        .ok,
    ).toBe(false);
    expect(
      verifySignature({
        signingSecret: secret,
        rawBody: body,
        signature: expected,
        timestamp: '15314x',
        nowMs: at,
      }),
    ).toEqual({
      ok: false,
      reason: 'malformed X-Slack-Request-Timestamp',
    });
  });
});
