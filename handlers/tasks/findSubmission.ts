import type { ArgoClient } from '../../integrations/argo/argoClient.ts';
import { labelValue } from '../../integrations/argo/labels.ts';
import type { Workflow } from '../../integrations/argo/types.ts';

/**
 * The workflow a run's submission created, if Argo has one: found by the `dpbot/run` and
 * `dpbot/request-id` labels every submission carries. A submission that got no answer (a timeout,
 * or a process that stopped while waiting) may still have created it, and must not be sent twice.
 */
export async function findSubmission(
  argo: ArgoClient,
  namespace: string,
  run: { id: number; requestId: string },
): Promise<Workflow | undefined> {
  const selector = `dpbot/run=${labelValue(String(run.id))},dpbot/request-id=${labelValue(run.requestId)}`;
  const [found] = await argo.list(namespace, { labelSelector: selector, limit: 1 });
  return found;
}
