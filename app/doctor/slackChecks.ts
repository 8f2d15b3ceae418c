import { ErrorCode, WebClient } from '@slack/web-api';
import { SCOPE_USE, SLACK_BOT_SCOPES } from '../../bot/slack/botScopes.ts';
import { type ChannelInfo, listChannels } from '../../bot/slack/channelDirectory.ts';
import { readSecret } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { isSlackError, slackError } from '../../integrations/slack/slackErrors.ts';
import { isChannelId } from '../../pipeline/notifier.ts';
import { type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'slack';
const APP_SCOPES_FIX =
  'under OAuth & Permissions → Bot Token Scopes of the app at api.slack.com/apps (or paste deploy/slack-manifest.yaml), then reinstall the app to the workspace';

/** A channel dpbot posts to, with the setting that names it. */
interface ConfiguredChannel {
  channel: string;
  setting: string;
}

/**
 * The channels dpbot announces in: named (`#releases`, or `releases`) or by ID (`C0123ABC`). A
 * person (a user ID, `@name`), whom chat.postMessage reaches by direct message, is no channel.
 */
export function announcementChannels(config: DoctorContext['config']): ConfiguredChannel[] {
  const found = new Map<string, string>();
  const add = (channel: string | undefined, setting: string) => {
    if (!channel || found.has(channel)) return;
    if (!channel.startsWith('@') && !/^[UW][A-Z0-9]+$/.test(channel)) found.set(channel, setting);
  };
  add(config.slack.channels.announce, 'slack.channels.announce');
  add(config.slack.channels.admin, 'slack.channels.admin');
  if (config.release.services.length > 0) add(config.release.channel, 'release.channel');
  const late = config.datasets.lateAlerts;
  if (late.enabled) {
    add(late.channel, 'datasets.lateAlerts.channel');
    for (const [team, channel] of Object.entries(late.teamChannels))
      add(channel, `datasets.lateAlerts.teamChannels.${team}`);
  }
  config.release.services.forEach((s, i) => {
    for (const [j, stakeholder] of s.stakeholders.entries())
      add(stakeholder, `release.services[${i}].stakeholders[${j}]`);
  });
  return [...found].map(([channel, setting]) => ({ channel, setting }));
}

function channelFinding(wanted: ConfiguredChannel, found: ChannelInfo | undefined): Finding {
  const { channel, setting } = wanted;
  if (!found)
    return {
      status: 'fail',
      message: `${channel} (${setting}) is neither a public channel nor a private one dpbot is in`,
      fix: `create ${channel}, or invite dpbot to it (in ${channel}: /invite @dpbot), or correct ${setting}`,
    };
  if (found.member) return { status: 'ok', message: `in ${channel} (${setting})` };
  if (found.private)
    return {
      status: 'fail',
      message: `not in the private channel ${channel} (${setting})`,
      fix: `invite dpbot: in ${channel}, type /invite @dpbot`,
    };
  return {
    status: 'ok',
    message: `not yet in the public channel ${channel} (${setting}); it joins at its first announcement (channels:join)`,
  };
}

/**
 * Slack: the token answers auth.test, has every scope the manifest asks for (X-OAuth-Scopes on
 * the answer), and dpbot is in (or may join) each announcement channel.
 */
export function slackChecks(ctx: DoctorContext): DoctorCheck[] {
  const simulated = ctx.simulated(SYSTEM);
  const token = readSecret(ctx.env, 'SLACK_BOT_TOKEN');
  if (!token) return [noteCheck(SYSTEM, '', simulated, notConfigured('SLACK_BOT_TOKEN is not set'))];
  const client = new WebClient(token, {
    ...(ctx.config.slack.apiUrl ? { slackApiUrl: ctx.config.slack.apiUrl } : {}),
    timeout: ctx.config.slack.timeout,
    retryConfig: { retries: 1 },
    // A rate-limited answer is a finding, not a reason to wait minutes.
    rejectRateLimitedCalls: true,
  });
  const endpoint = {
    url: ctx.config.slack.apiUrl ?? 'https://slack.com/api/',
    setting: 'slack.apiUrl',
    name: "Slack's Web API",
  };
  const auth = client.auth.test();
  // Every check below reads the same answer; one that fails is reported by the first check.
  auth.catch(() => undefined);
  const channels = announcementChannels(ctx.config);
  const authCheck: DoctorCheck = {
    system: SYSTEM,
    subject: 'token',
    simulated,
    endpoint,
    run: async () => {
      const answer = await auth;
      return {
        status: 'ok',
        message: `auth.test: bot ${answer.user ?? '?'} in workspace ${answer.team ?? '?'} (${answer.team_id ?? '?'})`,
      };
    },
    // Slack's own answer is about the token; a request that got none is about the way to Slack.
    onError: (error) =>
      (error as { code?: string }).code === ErrorCode.PlatformError
        ? {
            status: 'fail',
            message: `auth.test refused the token (${slackError(error)})`,
            fix: 'set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) on the app’s OAuth & Permissions page, installed in this workspace',
          }
        : {
            status: 'fail',
            message: `auth.test got no answer from ${endpoint.url} (${slackError(error)})`,
            fix: "check slack.apiUrl (unset: Slack's own) and that dpbot can reach it from where it runs, then run dpbot doctor again",
          },
  };
  const scopesCheck: DoctorCheck = {
    system: SYSTEM,
    subject: 'scopes',
    simulated,
    endpoint,
    run: async () => {
      const granted = (await auth).response_metadata?.scopes;
      if (!granted)
        return {
          status: 'warn',
          message: 'Slack did not say which scopes the token has (no X-OAuth-Scopes)',
          fix: `compare the app’s Bot Token Scopes with deploy/slack-manifest.yaml: ${SLACK_BOT_SCOPES.join(', ')}`,
        };
      const missing = SLACK_BOT_SCOPES.filter((s) => !granted.includes(s));
      if (missing.length === 0)
        return {
          status: 'ok',
          message: `has every scope the manifest asks for (${SLACK_BOT_SCOPES.length})`,
        };
      return missing.map((scope) => ({
        status: 'fail' as const,
        message: `the token lacks the scope ${scope} (${SCOPE_USE[scope]})`,
        fix: `add ${scope} ${APP_SCOPES_FIX}`,
      }));
    },
    onError: () => ({
      status: 'fail',
      message: 'scopes unknown: auth.test failed (see the token line)',
      fix: 'fix the token first (the token line says how), then run dpbot doctor again',
    }),
  };
  const channelsCheck: DoctorCheck = {
    system: SYSTEM,
    subject: 'channels',
    simulated,
    endpoint,
    run: async (signal) => {
      if (channels.length === 0)
        return notConfigured('no slack.channels, release.channel or stakeholder channels');
      await auth;
      const byId = channels.filter((c) => isChannelId(c.channel));
      const all = byId.length < channels.length ? await listChannels(client, { signal }) : [];
      const findings: Finding[] = [];
      for (const wanted of channels) {
        if (!isChannelId(wanted.channel)) {
          const name = wanted.channel.replace(/^#/, '');
          findings.push(
            channelFinding(
              wanted,
              all.find((c) => c.name === name),
            ),
          );
          continue;
        }
        let info: ChannelInfo | undefined;
        try {
          const answer = await client.conversations.info({ channel: wanted.channel });
          const c = answer.channel;
          if (c?.id)
            info = {
              id: c.id,
              name: c.name ?? c.id,
              private: c.is_private === true,
              member: c.is_member === true,
            };
        } catch (error) {
          if (!isSlackError(error, 'channel_not_found')) throw error;
        }
        findings.push(channelFinding(wanted, info));
      }
      return findings;
    },
    onError: (error) => {
      const code = slackError(error);
      const needed =
        typeof error === 'object' && error !== null && 'data' in error
          ? (error.data as { needed?: string }).needed
          : undefined;
      if (code === 'missing_scope')
        return {
          status: 'fail',
          message: `cannot tell whether dpbot is in its announcement channels: the token lacks ${needed ?? 'channels:read / groups:read'}`,
          fix: `add ${needed ?? 'channels:read and groups:read'} ${APP_SCOPES_FIX}`,
        };
      return {
        status: 'fail',
        message: `cannot list the channels (${code})`,
        fix: 'check SLACK_BOT_TOKEN and slack.apiUrl, then run dpbot doctor again',
      };
    },
  };
  return [authCheck, scopesCheck, channelsCheck];
}
