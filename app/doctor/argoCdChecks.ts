import { readSecret } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { UpstreamError } from '../../core/errors.ts';
import { argoCdFromConfig } from '../../integrations/argocd/argoCdClient.ts';
import { callFailed, cannotCheck, type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'argocd';

/** The RBAC actions the release uses (Argo CD server/application/application.go). */
const ACTIONS = [
  { action: 'get', why: 'read its state (and its sync windows) while shipping' },
  { action: 'sync', why: 'ship it, roll it back, stop a running operation' },
  { action: 'update', why: 'turn auto-sync off before a rollback' },
] as const;

/**
 * Argo CD: every application of the release configuration exists, and the token's account may
 * get, sync (which also covers rollback and terminating an operation) and update (the auto-sync
 * patch) it, as Argo CD's own `account/can-i` answers.
 */
export function argoCdChecks(ctx: DoctorContext): DoctorCheck[] {
  const { config } = ctx;
  const simulated = ctx.simulated(SYSTEM);
  const apps = new Map<string, string>();
  config.release.services.forEach((s, i) => {
    for (const [j, app] of s.applications.entries())
      if (!apps.has(app)) apps.set(app, `release.services[${i}].applications[${j}]`);
  });
  if (apps.size === 0) return [noteCheck(SYSTEM, '', simulated, notConfigured('no release applications'))];
  if (!config.argocd.url)
    return cannotCheck(
      SYSTEM,
      simulated,
      `the release names ${apps.size} Argo CD application(s), but argocd.url is not set: shipping and rollbacks cannot run`,
      'set argocd.url to the Argo CD server (https://argocd.example.com) and ARGOCD_TOKEN to a token of its dpbot account',
    );
  if (!readSecret(ctx.env, 'ARGOCD_TOKEN'))
    return cannotCheck(
      SYSTEM,
      simulated,
      'ARGOCD_TOKEN is not set',
      'create an account for dpbot (accounts.dpbot: apiKey in argocd-cm), then `argocd account generate-token --account dpbot` and set ARGOCD_TOKEN (or ARGOCD_TOKEN_FILE) to it',
    );
  const client = argoCdFromConfig(config.argocd, { env: ctx.env, log: ctx.log });
  if (!client) return [];
  const account = client.whoAmI();
  account.catch(() => undefined);
  const endpoint = { url: config.argocd.url, setting: 'argocd.url', name: 'Argo CD' };
  return [...apps].map(([app, setting]) => ({
    system: SYSTEM,
    subject: app,
    simulated,
    endpoint,
    run: async () => {
      const who = (await account) ?? "dpbot's account";
      let project: string;
      try {
        project = (await client.get(app)).spec?.project ?? 'default';
      } catch (error) {
        if (error instanceof UpstreamError && (error.status === 403 || error.status === 404))
          return {
            status: 'fail',
            message: `application ${app} does not exist, or ${who} may not see it`,
            fix: `correct ${setting}, or add \`p, ${who}, applications, get, <project>/${app}, allow\` to policy.csv in the argocd-rbac-cm ConfigMap`,
          };
        throw error;
      }
      const object = `${project}/${app}`;
      const answers = await Promise.all(ACTIONS.map((a) => client.canI('applications', a.action, object)));
      const findings: Finding[] = [{ status: 'ok', message: `application exists (project ${project})` }];
      ACTIONS.forEach((a, i) => {
        findings.push(
          answers[i]
            ? { status: 'ok', message: `may ${a.action} ${object}` }
            : {
                status: 'fail',
                message: `may not ${a.action} ${object} (needed to ${a.why})`,
                fix: `add \`p, ${who}, applications, ${a.action}, ${object}, allow\` to policy.csv in the argocd-rbac-cm ConfigMap`,
              },
        );
      });
      return findings;
    },
    onError: callFailed({
      refused:
        'generate a new token for dpbot’s account (`argocd account generate-token --account dpbot`) and set ARGOCD_TOKEN',
      unreachable: 'check argocd.url and that Argo CD answers from where dpbot runs',
    }),
  }));
}
