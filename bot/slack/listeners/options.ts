import type { App } from '@slack/bolt';
import type { SlackDeps } from '../slackDeps.ts';

/** Suggestions for external selects (dataset names in task forms), for people dpbot knows. */
export function registerOptions(app: App, deps: SlackDeps): void {
  app.options(/^dp\.opt\./, async ({ ack, body, options }) => {
    const provider = deps.optionProviders.get(options.action_id);
    if (!provider) {
      await ack({ options: [] });
      return;
    }
    try {
      const caller = await deps.identity.resolve({ slackUserId: body.user.id });
      const choices = await provider.options(options.value ?? '', { caller });
      await ack({
        // Slack shows at most 100 options; texts ≤ 75 characters, values ≤ 150.
        options: choices.slice(0, 100).map((c) => ({
          text: { type: 'plain_text' as const, text: c.text.slice(0, 75) },
          value: c.value.slice(0, 150),
        })),
      });
    } catch (error) {
      deps.log.warn({ err: error, actionId: options.action_id }, 'options request failed');
      await ack({ options: [] });
    }
  });
}
