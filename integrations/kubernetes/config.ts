import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** A Kubernetes object or namespace name (RFC 1123 label/subdomain). */
export const kubernetesObjectName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, {
    error: 'expected a Kubernetes name such as "ingest-workers"',
  });

/** How dpbot reaches the clusters and how careful it is when it changes worker counts. */
export const kubernetesSchema = z.strictObject({
  /** A kubeconfig file (relative to the configuration); default: $KUBECONFIG, then in-cluster, then ~/.kube/config. */
  kubeconfig: z.string().min(1).optional(),
  requestTimeout: duration().prefault('10s'),
  /** Attempts after a 409 Conflict before giving up. */
  conflictRetries: integer({ min: 0, max: 20 }).default(5),
  /** How long a scale waits for another change to the same team to finish. */
  lockTimeout: duration().prefault('30s'),
  readinessTimeout: duration().prefault('10m'),
  readinessPollInterval: duration().prefault('10s'),
  /** A workload Argo CD self-heals without ignoring its replica count: refuse, or warn and ask. */
  argoSelfHeal: z.enum(['refuse', 'warn']).default('refuse'),
  /** Namespace of Argo CD's Application objects, read to see whether they self-heal; unset: assume they do. */
  argocdNamespace: kubernetesObjectName.optional(),
  /** When an HPA manages a workload, offer `--hpa-min` (raise the HPA's minimum) instead. */
  offerHpaMinReplicas: z.boolean().default(true),
  /** Shortest and longest `--for`. */
  minFor: duration().prefault('5m'),
  maxFor: duration().prefault('7d'),
  /** A failed timed revert is retried this many times, from this delay, backing off. */
  revertRetries: integer({ min: 0, max: 20 }).default(5),
  revertRetryDelay: duration().prefault('30s'),
});
export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/**
 * What the integration needs to know of the configured teams: the clusters their targets name,
 * checked against the kubeconfig's contexts at load (positions give each problem its path).
 */
export type TeamTargets = readonly { readonly targets: readonly { readonly cluster: string }[] }[];
