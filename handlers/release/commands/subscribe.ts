import { z } from 'zod';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';
import { serviceNamed } from '../names.ts';

const serviceArgs = z.object({
  service: z.string().min(1, { error: 'name a service, as in "subscribe orders-api"' }),
});

/** `subscribe <service>`: that service's release notes by direct message when it ships. */
export const releaseSubscribe = defineCommand({
  name: 'subscribe',
  summary: "Get a service's release notes by direct message when it ships (and if it is rolled back)",
  usage: 'subscribe <service>',
  examples: ['subscribe orders-api'],
  params: { positionals: ['service'] },
  args: serviceArgs,
  action: 'release.subscribe',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
  run: async (args, ctx) => {
    const added = await ctx.deps.notices.subscribe(ctx.caller.email, args.service, ctx.caller.slackUserId);
    if (added)
      await ctx.auditStep({
        action: 'release.subscribe',
        resource: `service:${args.service}`,
        outcome: 'subscribed',
        detail: { email: ctx.caller.email },
      });
    return noticeMessage(
      added
        ? `Subscribed: the release notes of ${args.service} come to you by direct message when it ships ("unsubscribe ${args.service}" to stop).`
        : `You already subscribe to ${args.service}'s release notes ("unsubscribe ${args.service}" to stop).`,
    );
  },
});

export const releaseUnsubscribe = defineCommand({
  name: 'unsubscribe',
  summary: "Stop getting a service's release notes by direct message",
  usage: 'unsubscribe <service>',
  examples: ['unsubscribe orders-api'],
  params: { positionals: ['service'] },
  args: serviceArgs,
  action: 'release.subscribe',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
  run: async (args, ctx) => {
    const removed = await ctx.deps.notices.unsubscribe(ctx.caller.email, args.service);
    if (removed)
      await ctx.auditStep({
        action: 'release.subscribe',
        resource: `service:${args.service}`,
        outcome: 'unsubscribed',
        detail: { email: ctx.caller.email },
      });
    return noticeMessage(
      removed
        ? `Unsubscribed from ${args.service}'s release notes.`
        : `You did not subscribe to ${args.service}'s release notes ("notices" lists what you get).`,
    );
  },
});
