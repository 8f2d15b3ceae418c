/**
 * argo-server's JSON (`/api/v1`, io.argoproj.workflow.v1alpha1.*) as this simulator serves it:
 * the simulator's own reading of Argo's API, not dpbot's client types, so a field dpbot's client
 * gets wrong is not wrong here as well. Only what the simulator writes or reads is listed.
 */

export type WorkflowPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
type NodePhase = WorkflowPhase | 'Skipped' | 'Omitted';

interface ObjectMeta {
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

export interface NodeStatus {
  id: string;
  name: string;
  displayName?: string;
  type: 'Pod' | 'Steps' | 'StepGroup' | 'DAG' | 'Retry' | 'Skipped' | 'Suspend';
  templateName?: string;
  phase?: NodePhase;
  message?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  progress?: string;
  boundaryID?: string;
  children?: string[];
}

export interface Workflow {
  metadata: ObjectMeta;
  spec?: {
    arguments?: { parameters?: Parameter[] };
    workflowTemplateRef?: { name: string; clusterScope?: boolean };
    shutdown?: 'Stop' | 'Terminate';
  };
  status?: {
    /** Empty until the controller first sees the workflow. */
    phase?: WorkflowPhase | '';
    startedAt?: string | null;
    finishedAt?: string | null;
    progress?: string;
    message?: string;
    nodes?: Record<string, NodeStatus>;
  };
}

/** The body of `POST /api/v1/workflows/{namespace}/submit`. */
export interface WorkflowSubmitRequest {
  namespace: string;
  resourceKind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate' | 'CronWorkflow';
  resourceName: string;
  submitOptions?: {
    parameters?: string[];
    labels?: string;
    annotations?: string;
    generateName?: string;
    entryPoint?: string;
    serviceAccount?: string;
    serverDryRun?: boolean;
  };
}

export interface CronWorkflow {
  metadata: ObjectMeta;
  spec: {
    /**
     * Argo Workflows 4, the version simulated, has only this (required); `schedule`, deprecated
     * since 3.6, is gone.
     */
    schedules: string[];
    timezone?: string;
    suspend?: boolean;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    /** Required, as `schedules` is (CronWorkflowSpec in Argo's OpenAPI document). */
    workflowSpec: Record<string, unknown>;
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

/**
 * Kubernetes' label syntax, which argo-server enforces on submitted labels: a value is at most 63
 * characters, alphanumeric at both ends with `-_.` inside (or empty); a key is such a name
 * (not empty) after an optional DNS-subdomain prefix and `/`.
 */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
