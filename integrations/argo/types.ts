/**
 * The parts of the Argo Workflows server API (argo-server, `/api/v1`) dpbot reads and writes,
 * written from the published OpenAPI schema (io.argoproj.workflow.v1alpha1.*). Only the fields
 * dpbot uses are listed; everything is optional where the schema makes it so.
 */

import type { WorkflowPhase } from './phases.ts';

export type { WorkflowPhase } from './phases.ts';
export type NodePhase = WorkflowPhase | 'Skipped' | 'Omitted';
export type NodeType =
  | 'Pod'
  | 'Container'
  | 'Steps'
  | 'StepGroup'
  | 'DAG'
  | 'TaskGroup'
  | 'Retry'
  | 'Skipped'
  | 'Suspend'
  | 'HTTP'
  | 'Plugin';

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Parameter {
  name: string;
  value?: string;
  default?: string;
  description?: string;
  enum?: string[];
}

/** io.argoproj.workflow.v1alpha1.NodeStatus */
export interface NodeStatus {
  id: string;
  name: string;
  displayName?: string;
  type: NodeType;
  templateName?: string;
  phase?: NodePhase;
  message?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  progress?: string;
  boundaryID?: string;
  children?: string[];
}

/** io.argoproj.workflow.v1alpha1.Workflow */
export interface Workflow {
  metadata: ObjectMeta;
  spec?: {
    arguments?: { parameters?: Parameter[] };
    workflowTemplateRef?: { name: string; clusterScope?: boolean };
    shutdown?: 'Stop' | 'Terminate';
    entrypoint?: string;
  };
  status?: {
    /** Empty until the controller first sees the workflow. */
    phase?: WorkflowPhase | '';
    startedAt?: string | null;
    finishedAt?: string | null;
    /** `3/7`: finished pods of all pods known so far. */
    progress?: string;
    message?: string;
    nodes?: Record<string, NodeStatus>;
  };
}

export interface WorkflowList {
  metadata?: { continue?: string; resourceVersion?: string };
  items: Workflow[] | null;
}

/** io.argoproj.workflow.v1alpha1.SubmitOpts (what dpbot sets) */
export interface SubmitOpts {
  /** `name=value` each; Argo splits at the first `=`, so values may contain anything. */
  parameters?: string[];
  /** `key=value,key=value`: keys and values must be valid Kubernetes label text. */
  labels?: string;
  annotations?: string;
  generateName?: string;
  entryPoint?: string;
  serviceAccount?: string;
  serverDryRun?: boolean;
}

/** io.argoproj.workflow.v1alpha1.WorkflowSubmitRequest */
export interface WorkflowSubmitRequest {
  namespace: string;
  resourceKind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate' | 'CronWorkflow';
  resourceName: string;
  submitOptions?: SubmitOpts;
}

/** One message of the log stream (io.argoproj.workflow.v1alpha1.LogEntry inside `result`). */
export interface LogEntry {
  content: string;
  podName?: string;
}

/** io.argoproj.workflow.v1alpha1.CronWorkflow */
export interface CronWorkflow {
  metadata: ObjectMeta;
  spec: {
    /** Argo ≤ 3.7 (deprecated since 3.6, removed in 4.0, which ignores it) */
    schedule?: string;
    /** Argo ≥ 3.6; the only one Argo 4 has */
    schedules?: string[];
    timezone?: string;
    suspend?: boolean;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    workflowSpec?: Record<string, unknown>;
  };
  status?: {
    active?: { name?: string; namespace?: string }[] | null;
    lastScheduledTime?: string | null;
    succeeded?: number;
    failed?: number;
    phase?: 'Active' | 'Stopped' | '';
    conditions?: { type: string; status: string; message?: string }[] | null;
  };
}

/** The error body grpc-gateway sends with a non-2xx status. */
export interface GrpcError {
  code?: number;
  message?: string;
  error?: string;
}

export interface CronWorkflowList {
  metadata?: { continue?: string; resourceVersion?: string };
  items: CronWorkflow[] | null;
}

/** io.argoproj.workflow.v1alpha1.WorkflowTemplate (and ClusterWorkflowTemplate), the fields dpbot reads. */
export interface WorkflowTemplate {
  metadata: { name?: string; namespace?: string };
  spec?: { arguments?: { parameters?: { name: string; value?: string; enum?: string[] }[] } };
}
