import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** Kubernetes namespace names (RFC 1123 labels). */
const NAMESPACE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The `argo` section: the Argo Workflows server tasks run on, and how runs are watched. */
export const argoSchema = z.strictObject({
  /** The Argo Workflows server (argo-server) base URL; unset: tasks cannot run. */
  url: z.url().optional(),
  /** Base URL of the Argo UI for links; default: url. */
  uiUrl: z.url().optional(),
  /** Namespace of tasks that name none. */
  namespace: z
    .string()
    .max(253)
    .regex(NAMESPACE, { error: 'expected a Kubernetes namespace name (lower-case letters, digits, - and .)' })
    .max(63)
    .default('argo'),
  /** Longest wait for one API request. */
  timeout: duration().prefault('10s'),
  /** How often a running workflow is polled to update its progress message. */
  pollInterval: duration().prefault('10s'),
  /** How long a workflow is watched before dpbot stops updating its message. */
  watchFor: duration().prefault('24h'),
  /** Log lines `task logs` shows. */
  logLines: integer({ min: 1, max: 200 }).default(40),
});

export type ArgoConfig = z.output<typeof argoSchema>;
