import { type ContractChecker, documentChecker } from '../support/checker.ts';
import { OpenApiContract, type Schema } from '../support/openapi.ts';
import { once, readSpec, specKey } from '../support/specs.ts';

const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] });

/**
 * Argo Workflows' published OpenAPI document (v4.1, test/contract/specs/argo-workflows.swagger.json),
 * with the places where the server is known to differ from it.
 */
export const argoWorkflowsContract = once(
  () =>
    new OpenApiContract(readSpec('argo-workflows.swagger.json'), {
      // argo-server's gateway marshals with encoding/json (argo-workflows util/json/json.go, set in
      // server/apiserver/argoserver.go): int64 are JSON numbers both ways.
      int64: 'number',
      overrides: {
        // metav1.Time writes its zero value as null (k8s.io/apimachinery meta/v1/time.go,
        // MarshalJSON): a workflow not yet started has `"startedAt": null`.
        'io.k8s.apimachinery.pkg.apis.meta.v1.Time': nullable,
        // Go nil slices without omitempty are written as null (pkg/apis/workflow/v1alpha1:
        // WorkflowList/CronWorkflowList `json:"items"`, CronWorkflowStatus `json:"active"`,
        // `json:"conditions"`); the document says array.
        'io.argoproj.workflow.v1alpha1.WorkflowList.items': nullable,
        'io.argoproj.workflow.v1alpha1.CronWorkflowList.items': nullable,
        'io.argoproj.workflow.v1alpha1.CronWorkflowStatus.active': nullable,
        'io.argoproj.workflow.v1alpha1.CronWorkflowStatus.conditions': nullable,
        // CronWorkflows of Argo Workflows 3.5 to 3.7, which dpbot still reads (README, "Datasets";
        // handlers/datasets/producerReader.ts): 3.5 has only `schedule` (one expression, required in
        // its document), 3.6 and 3.7 add `schedules` and deprecate `schedule`, 4.0 removes it
        // (argo-workflows docs/cron-workflows.md, upgrading.md). One of the two is there.
        'io.argoproj.workflow.v1alpha1.CronWorkflowSpec': (schema) => ({
          ...schema,
          properties: { ...(schema.properties as Schema), schedule: { type: 'string' } },
          required: ['workflowSpec'],
          anyOf: [{ required: ['schedules'] }, { required: ['schedule'] }],
        }),
      },
      cacheKey: specKey('argo-workflows.swagger.json'),
    }),
);

/** Every exchange with the Argo Workflows simulator's API (`/api/v1/...`; its UI pages are not the API). */
export const argoWorkflowsChecker: ContractChecker = documentChecker(
  'Argo Workflows',
  (simulator, exchange) => simulator === 'argo-workflows' && exchange.path.startsWith('/api/'),
  argoWorkflowsContract,
);
