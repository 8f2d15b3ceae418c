import { readSecret } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { UpstreamError } from '../../core/errors.ts';
import { sampleValue, withTeamChoices } from '../../handlers/tasks/index.ts';
import { argoClientFromConfig } from '../../integrations/argo/argoClient.ts';
import { callFailed, cannotCheck, type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'argo';

/** `workflowtemplates.argoproj.io is forbidden: User "…" cannot get resource …`: the user and verb. */
function forbidden(message: string): {
  user: string | undefined;
  verb: string | undefined;
  resource: string | undefined;
} {
  const m = /User "([^"]+)" cannot (\w+) resource "([^"]+)"/.exec(message);
  return { user: m?.[1], verb: m?.[2], resource: m?.[3] };
}

function roleFix(message: string, fallback: { verb: string; resource: string }, namespace: string): string {
  const said = forbidden(message);
  const who = said.user ?? 'the service account of ARGO_TOKEN';
  const scope =
    (said.resource ?? fallback.resource) === 'clusterworkflowtemplates'
      ? 'to the ClusterRole bound to'
      : `in namespace ${namespace} to the Role bound to`;
  return `grant it: add verbs [${said.verb ?? fallback.verb}] on ${said.resource ?? fallback.resource} (API group "argoproj.io") ${scope} ${who}`;
}

/**
 * Argo Workflows: every task's template exists, and the token may submit from it, proven by a
 * submission with `serverDryRun` (the API server checks the creation, nothing runs) and a sample
 * value for every parameter.
 */
export function argoChecks(ctx: DoctorContext): DoctorCheck[] {
  const { config } = ctx;
  const simulated = ctx.simulated(SYSTEM);
  if (config.tasks.length === 0) return [noteCheck(SYSTEM, '', simulated, notConfigured('no tasks'))];
  if (!config.argo.url)
    return cannotCheck(
      SYSTEM,
      simulated,
      `${config.tasks.length} task(s) are configured but argo.url is not set: none can run`,
      'set argo.url to the Argo Workflows server (argo-server) and ARGO_TOKEN to a token of its dpbot service account',
    );
  if (!readSecret(ctx.env, 'ARGO_TOKEN'))
    return cannotCheck(
      SYSTEM,
      simulated,
      'ARGO_TOKEN is not set',
      'set ARGO_TOKEN (or ARGO_TOKEN_FILE) to the token of the service account dpbot submits as (argo-workflows.readthedocs.io, "Access Token")',
    );
  const client = argoClientFromConfig(config.argo, { env: ctx.env, log: ctx.log });
  if (!client) return [];
  const endpoint = { url: config.argo.url, setting: 'argo.url', name: 'argo-server' };
  return config.tasks.map((configured, i) => {
    const task = withTeamChoices(configured, config);
    const namespace = task.namespace ?? config.argo.namespace;
    const { kind, name } = task.template;
    const setting = `tasks[${i}]`;
    const templateSetting = `${setting}.${kind === 'WorkflowTemplate' ? 'workflowTemplate' : 'clusterWorkflowTemplate'}`;
    return {
      system: SYSTEM,
      subject: `task ${task.name}`,
      simulated,
      endpoint,
      run: async () => {
        const where = kind === 'WorkflowTemplate' ? ` in namespace ${namespace}` : '';
        const findings: Finding[] = [];
        try {
          const template = await client.getTemplate(kind, namespace, name);
          findings.push({ status: 'ok', message: `${kind} ${name} exists${where}` });
          const declared = new Set(task.parameters.map((p) => p.name));
          for (const p of template.spec?.arguments?.parameters ?? [])
            if (p.value === undefined && !declared.has(p.name))
              findings.push({
                status: 'fail',
                message: `${kind} ${name} requires the parameter ${p.name}, which ${setting} does not declare: every run would be refused`,
                fix: `add { name: ${p.name} } to ${setting}.parameters, or give it a value in the template`,
              });
        } catch (error) {
          if (!(error instanceof UpstreamError) || (error.status !== 404 && error.status !== 403))
            throw error;
          return {
            status: 'fail',
            message:
              error.status === 404
                ? `${kind} ${name} does not exist${where}`
                : `may not read ${kind} ${name}${where}`,
            fix:
              error.status === 404
                ? `create it${where}, or correct ${templateSetting} (and ${setting}.namespace)`
                : roleFix(
                    error.message,
                    {
                      verb: 'get',
                      resource:
                        kind === 'WorkflowTemplate' ? 'workflowtemplates' : 'clusterworkflowtemplates',
                    },
                    namespace,
                  ),
          };
        }
        const parameters: Record<string, string> = {};
        for (const p of task.parameters) {
          const value = sampleValue(p);
          if (value !== undefined) parameters[p.name] = value;
          else if (p.required)
            return [
              ...findings,
              {
                status: 'warn' as const,
                message: `cannot check submitting: no sample value for parameter ${p.name} passes its pattern`,
                fix: `add an example (a value that matches the pattern) to ${setting}.parameters (${p.name})`,
              },
            ];
        }
        try {
          await client.submit({ namespace, kind, template: name, parameters, dryRun: true });
          findings.push({
            status: 'ok',
            message: `may submit it in namespace ${namespace} (server dry run accepted)`,
          });
        } catch (error) {
          if (!(error instanceof UpstreamError) || error.status === undefined || error.status >= 500)
            throw error;
          findings.push(
            error.status === 403
              ? {
                  status: 'fail',
                  message: `may not submit it in namespace ${namespace}`,
                  fix: roleFix(error.message, { verb: 'create', resource: 'workflows' }, namespace),
                }
              : {
                  status: 'fail',
                  message: `a dry-run submission with sample values was refused: ${error.message}`,
                  fix: `make ${setting}.parameters match the parameters of ${kind} ${name}`,
                },
          );
        }
        return findings;
      },
      onError: callFailed({
        refused: 'set ARGO_TOKEN to a valid token of the service account dpbot submits as',
        unreachable: 'check argo.url and that argo-server answers from where dpbot runs',
      }),
    };
  });
}
