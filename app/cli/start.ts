import type { Command as Program } from 'commander';
import { slackSettings } from '../../bot/slack/slackApp.ts';
import { serveSlack } from '../serve.ts';
import { consoleSession } from './console.ts';
import type { Cli, CliIo } from './context.ts';

/** Resolves on the first SIGTERM or SIGINT (or when the given promise settles, for tests). */
function untilSignal(signals: CliIo['signals']): Promise<void> {
  if (signals) return signals;
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
}

/** `dpbot start` */
export function registerStart(program: Program, cli: Cli): void {
  program
    .command('start')
    .description('start dpbot: serve Slack when SLACK_BOT_TOKEN is set, otherwise open the local console')
    .option(
      '--admin <email>',
      'with Slack and a simulated directory, the Slack user (by e-mail) who gets the data-platform grants; left out with every system simulated, the first person to run a command does',
    )
    .action(async (opts: { admin?: string }) => {
      const loaded = cli.config();
      const settings = slackSettings(cli.io.env);
      if (!settings) {
        cli.err(
          'dpbot: no SLACK_BOT_TOKEN, so no Slack: opening the local console instead (see README, "Connect Slack").',
        );
        await consoleSession(cli, loaded, undefined);
        return;
      }
      const log = cli.logger(loaded);
      const bot = await serveSlack({
        loaded,
        env: cli.io.env,
        log,
        settings,
        ...(opts.admin ? { admin: opts.admin } : {}),
      });
      await untilSignal(cli.io.signals);
      log.info('shutting down');
      await bot.stop();
    });
}
