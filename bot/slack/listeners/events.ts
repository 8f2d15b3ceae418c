import type { App } from '@slack/bolt';
import type { BlockBuilder } from 'slack-block-builder';
import { NotAllowedError } from '../../../core/errors.ts';
import { homeView, strangerHomeView } from '../../views/home.ts';
import type { SlackDeps } from '../slackDeps.ts';

/** App Home, identity changes (a deactivated account is forgotten at once), renamed channels. */
export function registerEvents(app: App, deps: SlackDeps): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    let view: ReturnType<typeof homeView>;
    try {
      const caller = await deps.identity.resolve({ slackUserId: event.user });
      const recent = await deps.audit.search({ email: caller.email, kinds: ['attempt'], limit: 10 });
      // How each ended: the request's later rows (outcomes, steps), by its indexed request id.
      const followUps = new Map(
        await Promise.all(
          recent.map(
            async (r) =>
              [
                r.requestId,
                await deps.audit.search({
                  requestId: r.requestId,
                  kinds: ['step', 'outcome'],
                  limit: 20,
                }),
              ] as const,
          ),
        ),
      );
      const panels: BlockBuilder[] = [];
      for (const panel of deps.homePanels) {
        try {
          panels.push(...(await panel({ caller })));
        } catch (error) {
          deps.log.warn({ err: error }, 'an App Home panel failed; it is left out');
        }
      }
      view = homeView({ caller, recent, followUps, panels, command: deps.command });
    } catch (error) {
      if (!(error instanceof NotAllowedError)) throw error;
      view = strangerHomeView(error.message);
    }
    await client.views.publish({ user_id: event.user, view });
  });

  app.event('user_change', async ({ event }) => {
    deps.profiles.forget(event.user.id);
  });

  // A renamed channel: configured names are looked up again (the name may now be another's).
  app.event('channel_rename', async ({ event }) => {
    deps.notifier.directory.forget(event.channel.id);
  });
  app.event('group_rename', async ({ event }) => {
    deps.notifier.directory.forget(event.channel.id);
  });
}
