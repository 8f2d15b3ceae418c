import { readSecret } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { UpstreamError } from '../../core/errors.ts';
import { jiraClientFromConfig } from '../../integrations/jira/jiraClient.ts';
import { callFailed, cannotCheck, type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'jira';

/** Jira's project permission keys, their names in the permission scheme, and what dpbot does with them. */
const PERMISSIONS: Record<string, { name: string; why: string }> = {
  BROWSE_PROJECTS: { name: 'Browse Projects', why: 'read issues' },
  CREATE_ISSUES: { name: 'Create Issues', why: 'open a ticket for a task run' },
  ADD_COMMENTS: { name: 'Add Comments', why: 'comment on a run’s ticket' },
  EDIT_ISSUES: { name: 'Edit Issues', why: 'set the release’s fix version on issues' },
  ADMINISTER_PROJECTS: { name: 'Administer Projects', why: 'create and release the fix version' },
};

/**
 * Jira: for each project dpbot writes to (tasks' `jira.project`, `release.jira.project`), that it
 * exists and that dpbot's account has the project permissions those steps need (mypermissions).
 */
export function jiraChecks(ctx: DoctorContext): DoctorCheck[] {
  const { config } = ctx;
  const simulated = ctx.simulated(SYSTEM);
  const projects = new Map<string, { keys: Set<string>; settings: Set<string> }>();
  const need = (project: string, setting: string, keys: string[]) => {
    const entry = projects.get(project) ?? { keys: new Set<string>(), settings: new Set<string>() };
    for (const k of keys) entry.keys.add(k);
    entry.settings.add(setting);
    projects.set(project, entry);
  };
  config.tasks.forEach((t, i) => {
    if (t.jira)
      need(t.jira.project, `tasks[${i}].jira.project`, ['BROWSE_PROJECTS', 'CREATE_ISSUES', 'ADD_COMMENTS']);
  });
  if (config.release.jira.project)
    need(config.release.jira.project, 'release.jira.project', [
      'BROWSE_PROJECTS',
      'EDIT_ISSUES',
      'ADMINISTER_PROJECTS',
    ]);
  if (!config.jira.url)
    return [
      noteCheck(
        SYSTEM,
        '',
        simulated,
        projects.size === 0
          ? notConfigured('jira.url is not set')
          : {
              status: 'fail',
              message: `${[...projects.values()].flatMap((p) => [...p.settings]).join(', ')} name Jira projects, but jira.url is not set`,
              fix: 'set jira.url (https://example.atlassian.net), jira.email and JIRA_API_TOKEN',
            },
      ),
    ];
  if (!readSecret(ctx.env, 'JIRA_API_TOKEN'))
    return cannotCheck(
      SYSTEM,
      simulated,
      'JIRA_API_TOKEN is not set',
      'set JIRA_API_TOKEN (or JIRA_API_TOKEN_FILE) to an API token of the account in jira.email (id.atlassian.com → Security → API tokens)',
    );
  if (projects.size === 0)
    return [
      noteCheck(
        SYSTEM,
        '',
        simulated,
        notConfigured('no tasks with jira.project and no release.jira.project'),
      ),
    ];
  const client = jiraClientFromConfig(config.jira, { env: ctx.env, log: ctx.log });
  if (!client) return [];
  const account = config.jira.email ?? 'the account of JIRA_API_TOKEN';
  const endpoint = { url: config.jira.url, setting: 'jira.url', name: 'Jira' };
  return [...projects].map(([project, { keys, settings }]) => ({
    system: SYSTEM,
    subject: `project ${project}`,
    simulated,
    endpoint,
    run: async () => {
      try {
        await client.getProject(project);
      } catch (error) {
        if (error instanceof UpstreamError && error.status === 404)
          return {
            status: 'fail',
            message: `project ${project} does not exist, or ${account} may not browse it`,
            fix: `correct ${[...settings].join(', ')}, or grant ${account} Browse Projects in ${project}`,
          };
        throw error;
      }
      const granted = await client.myPermissions(project, [...keys]);
      return [...keys].map((key): Finding => {
        const p = PERMISSIONS[key] ?? { name: key, why: key };
        return granted[key]
          ? { status: 'ok', message: `may ${p.name} (${p.why})` }
          : {
              status: 'fail',
              message: `${account} lacks ${p.name} in ${project} (needed to ${p.why})`,
              fix: `grant ${account} (or a role it has) "${p.name}" in ${project}: Project settings → Permissions`,
            };
      });
    },
    onError: callFailed({
      refused: 'Jira refused the credentials: check jira.email and JIRA_API_TOKEN',
      unreachable: 'check jira.url and that Jira answers from where dpbot runs',
    }),
  }));
}
