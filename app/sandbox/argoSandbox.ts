import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { demoCronWorkflows, demoTemplates } from '../../sandbox/argo/demoTemplates.ts';
import { keepState } from './keptState.ts';
import type { SandboxPart } from './sandboxPart.ts';

export const SANDBOX_ARGO_TOKEN = 'sandbox-argo-token';

/**
 * Argo Workflows for `npm start`: the demo templates (backfill, reprocess-partition,
 * compact-table) and a few CronWorkflows. Workflows advance one step each time they are read, and
 * the sandbox polls every 2 s, so a run plays out in well under a minute.
 */
export const argoSandboxPart: SandboxPart = {
  name: 'Argo Workflows',
  system: 'argo',
  async start({ stateDir }) {
    const argo = new ArgoSimulator({ token: SANDBOX_ARGO_TOKEN });
    for (const t of demoTemplates) argo.addTemplate(t);
    for (const c of demoCronWorkflows(new Date())) argo.addCronWorkflow(c);
    // Reads move workflows on, so every request counts as a change.
    const saveNow = keepState(stateDir, 'argo-workflows', argo, () => argo.requests.length);
    await argo.start();
    return {
      configure(config) {
        config.argo.url = argo.url;
        config.argo.uiUrl = `${argo.url}/ui`;
        config.argo.pollInterval = 2000;
      },
      env: { ARGO_TOKEN: SANDBOX_ARGO_TOKEN },
      stop: async () => {
        await argo.stop();
        saveNow();
      },
    };
  },
};
