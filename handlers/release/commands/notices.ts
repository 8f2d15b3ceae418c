import { z } from 'zod';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand } from '../deps.ts';

/** `notices off|on`: the direct messages about one's own pull requests running in production. */
export const releaseNotices = defineCommand({
  name: 'notices',
  summary: 'Turn off (or back on) the direct messages telling you your pull requests run in production',
  usage: 'notices [off|on]',
  examples: ['notices', 'notices off', 'notices on'],
  params: { positionals: ['setting'] },
  args: z.object({
    setting: z.enum(['off', 'on'], { error: 'expected "off" or "on", as in "notices off"' }).optional(),
  }),
  action: 'release.subscribe',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const { notices } = ctx.deps;
    const email = ctx.caller.email;
    if (args.setting) {
      await notices.setDirectMessages(email, args.setting === 'on');
      await ctx.auditStep({
        action: 'release.subscribe',
        resource: 'release:weekly',
        outcome: args.setting === 'on' ? 'notices_on' : 'notices_off',
        detail: { email },
      });
    }
    const on = await notices.directMessagesOn(email);
    const subscribed = await notices.subscriptionsOf(email);
    return noticeMessage(
      `${on ? 'You get a direct message when your pull requests run in production (or are rolled back); "notices off" stops them.' : 'You get no direct messages about your pull requests running in production; "notices on" brings them back.'} ` +
        (subscribed.length
          ? `You get the release notes of ${subscribed.join(', ')} ("unsubscribe <service>" to stop).`
          : 'You subscribe to no service\'s release notes ("subscribe <service>" to start).'),
    );
  },
});
