import { z } from 'zod';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { serviceNamed } from '../names.ts';

const serviceArgs = z.object({
  service: z.string().min(1, { error: 'name a service, as in "subscribe orders-api"' }),
});

/**
 * `subscribe <service>` and `unsubscribe <service>`: the same command both ways, one change to
 * the subscriber's list, audited only when it changed something.
 */
function subscription(options: {
  name: 'subscribe' | 'unsubscribe';
  summary: string;
  change: (deps: ReleaseDeps, email: string, service: string, slackUserId: string | null) => Promise<boolean>;
  outcome: string;
  changed: (service: string) => string;
  unchanged: (service: string) => string;
}) {
  return defineCommand({
    name: options.name,
    summary: options.summary,
    usage: `${options.name} <service>`,
    examples: [`${options.name} orders-api`],
    params: { positionals: ['service'] },
    args: serviceArgs,
    action: 'release.subscribe',
    resourceKinds: ['service'],
    resource: (a) => `service:${a.service}`,
    names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
    run: async (args, ctx) => {
      const changed = await options.change(ctx.deps, ctx.caller.email, args.service, ctx.caller.slackUserId);
      if (changed)
        await ctx.auditStep({
          action: 'release.subscribe',
          resource: `service:${args.service}`,
          outcome: options.outcome,
          detail: { email: ctx.caller.email },
        });
      return noticeMessage(changed ? options.changed(args.service) : options.unchanged(args.service));
    },
  });
}

/** `subscribe <service>`: that service's release notes by direct message when it ships. */
export const releaseSubscribe = subscription({
  name: 'subscribe',
  summary: "Get a service's release notes by direct message when it ships (and if it is rolled back)",
  change: (deps, email, service, slackUserId) => deps.notices.subscribe(email, service, slackUserId),
  outcome: 'subscribed',
  changed: (service) =>
    `Subscribed: the release notes of ${service} come to you by direct message when it ships ("unsubscribe ${service}" to stop).`,
  unchanged: (service) =>
    `You already subscribe to ${service}'s release notes ("unsubscribe ${service}" to stop).`,
});

export const releaseUnsubscribe = subscription({
  name: 'unsubscribe',
  summary: "Stop getting a service's release notes by direct message",
  change: (deps, email, service) => deps.notices.unsubscribe(email, service),
  outcome: 'unsubscribed',
  changed: (service) => `Unsubscribed from ${service}'s release notes.`,
  unchanged: (service) =>
    `You did not subscribe to ${service}'s release notes ("notices" lists what you get).`,
});
