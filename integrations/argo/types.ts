/**
 * The parts of the Argo Workflows server API (argo-server, `/api/v1`) dpbot reads and writes, as
 * names over the types generated from the committed OpenAPI document (`generated.ts`,
 * `npm run gen:types`). Where Argo servers dpbot supports send something the 4.1 document does not
 * say, the difference is written here with its reason; nothing else is hand-written.
 */

import type { components } from './generated.ts';

type Schemas = components['schemas'];

/** io.argoproj.workflow.v1alpha1.NodeStatus */
export type NodeStatus = Schemas['io.argoproj.workflow.v1alpha1.NodeStatus'];

/** io.argoproj.workflow.v1alpha1.Workflow */
export type Workflow = Schemas['io.argoproj.workflow.v1alpha1.Workflow'];

/**
 * A list: Argo answers `"items": null`, not `[]`, when nothing matches (a Go nil slice), which the
 * document does not say.
 */
type ListOf<List extends { items: unknown[] }> = Omit<List, 'items'> & { items: List['items'] | null };

export type WorkflowList = ListOf<Schemas['io.argoproj.workflow.v1alpha1.WorkflowList']>;

/** io.argoproj.workflow.v1alpha1.WorkflowSubmitRequest */
export type WorkflowSubmitRequest = Schemas['io.argoproj.workflow.v1alpha1.WorkflowSubmitRequest'];

/** One message of the log stream (io.argoproj.workflow.v1alpha1.LogEntry inside `result`). */
export type LogEntry = Schemas['io.argoproj.workflow.v1alpha1.LogEntry'];

type CronWorkflowSpec = Schemas['io.argoproj.workflow.v1alpha1.CronWorkflowSpec'];

/**
 * io.argoproj.workflow.v1alpha1.CronWorkflow. The 4.1 document has only `schedules`, and requires
 * it; Argo before 3.6 sends only `schedule`, 3.6 and 3.7 either (dpbot supports them all).
 */
export type CronWorkflow = Omit<Schemas['io.argoproj.workflow.v1alpha1.CronWorkflow'], 'spec'> & {
  spec: Omit<CronWorkflowSpec, 'schedules'> & {
    /** Argo ≥ 3.6; the only one Argo 4 has */
    schedules?: CronWorkflowSpec['schedules'];
    /** Argo ≤ 3.7 (deprecated since 3.6, removed in 4.0, which ignores it) */
    schedule?: string;
  };
};

export type CronWorkflowList = ListOf<Schemas['io.argoproj.workflow.v1alpha1.CronWorkflowList']>;

/** io.argoproj.workflow.v1alpha1.WorkflowTemplate (and ClusterWorkflowTemplate). */
export type WorkflowTemplate = Schemas['io.argoproj.workflow.v1alpha1.WorkflowTemplate'];

/** The error body grpc-gateway sends with a non-2xx status. */
export type GrpcError = Schemas['grpc.gateway.runtime.Error'];
