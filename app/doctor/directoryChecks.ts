import type { DoctorCheck, Endpoint } from '../../core/doctor.ts';
import type { DirectorySourceConfig } from '../../handlers/directory/config.ts';
import { createDirectorySources } from '../../handlers/directory/index.ts';
import { type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'directory';

/** The address a source reads first, for the doctor to connect to before anything else. */
function sourceEndpoint(
  c: DirectorySourceConfig,
  i: number,
  slackApiUrl: string | undefined,
): Endpoint | undefined {
  const setting = `directory.sources[${i}]`;
  switch (c.type) {
    case 'google':
      return { url: c.tokenUrl, setting: `${setting}.tokenUrl`, name: "Google's token endpoint" };
    case 'github':
      return { url: c.apiUrl, setting: `${setting}.apiUrl`, name: 'GitHub' };
    case 'slack':
      return {
        url: c.apiUrl ?? slackApiUrl ?? 'https://slack.com/api/',
        setting: c.apiUrl ? `${setting}.apiUrl` : 'slack.apiUrl',
        name: "Slack's Web API",
      };
    default:
      return undefined;
  }
}

/** Each directory source answers, and with how many users and groups. */
export function directoryChecks(ctx: DoctorContext): DoctorCheck[] {
  const configs = ctx.config.directory.sources;
  if (configs.length === 0) return [noteCheck(SYSTEM, '', false, notConfigured('no directory.sources'))];
  const sources = createDirectorySources(configs, {
    configDir: ctx.configDir,
    slackApiUrl: ctx.config.slack.apiUrl,
    env: ctx.env,
    log: ctx.log.child({ component: 'directory' }),
  });
  return configs.map((c, i): DoctorCheck => {
    const endpoint = sourceEndpoint(c, i, ctx.config.slack.apiUrl);
    return {
      system: SYSTEM,
      subject: c.name,
      simulated: ctx.simulated(`directory:${c.name}`),
      ...(endpoint ? { endpoint } : {}),
      run: async (signal) => {
        const source = sources.get(c.name);
        if (!source) return { status: 'fail', message: 'not built', fix: `check directory.sources[${i}]` };
        const snapshot = await source.fetch(signal);
        return {
          status: 'ok',
          message: `${source.describe} answers: ${snapshot.users.length} user(s), ${snapshot.groups.length} group(s)`,
        };
      },
      onError: (error) => ({
        status: 'fail',
        message: error instanceof Error ? error.message : String(error),
        fix: `check directory.sources[${i}] (${c.type}) and its credentials; \`dpbot sync --source ${c.name} --dry-run\` shows the same answer`,
      }),
    };
  });
}
