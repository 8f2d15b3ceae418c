import { z } from 'zod';
import { integer } from '../../core/config/fields.ts';
import { kubernetesObjectName } from '../../integrations/kubernetes/config.ts';
import { FIELD_PATH } from '../../integrations/kubernetes/fieldPath.ts';

/** Team names appear in resources (`team:team-x`) and in commands (`scale team-x 8`). */
export const TEAM_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const teamName = z.string().regex(TEAM_NAME, { error: 'expected a lower-case name such as "team-x"' });
const targetName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a lower-case name such as "workers"' });

const targetBase = {
  /** What `--target` names; unique within the team. */
  name: targetName,
  /** The kubeconfig context of the cluster. */
  cluster: z.string().min(1),
  namespace: kubernetesObjectName,
  /** The Kubernetes object's name (default: the target's name). */
  object: kubernetesObjectName.optional(),
};

/**
 * Where a team's worker count lives: a Deployment or StatefulSet (changed through the scale
 * subresource), a key of a ConfigMap, or a field of a custom resource. The last two may name the
 * label selector of the pods they drive, so readiness can be reported.
 */
export const targetSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ ...targetBase, kind: z.literal('Deployment') }),
    z.strictObject({ ...targetBase, kind: z.literal('StatefulSet') }),
    z.strictObject({
      ...targetBase,
      kind: z.literal('ConfigMap'),
      key: z.string().min(1).max(253),
      selector: z.string().min(1).optional(),
    }),
    z.strictObject({
      ...targetBase,
      kind: z.literal('Custom'),
      /** `flink.apache.org/v1beta1` */
      apiVersion: z.string().regex(/^[a-z0-9.-]+\/[a-z0-9]+$/, {
        error: 'expected group/version, e.g. flink.apache.org/v1beta1',
      }),
      /** The plural resource name: `flinkdeployments`. */
      resource: z
        .string()
        .regex(/^[a-z0-9]+$/, { error: 'expected a plural resource name such as flinkdeployments' }),
      /** The resource's kind, to find an HPA that targets it (optional). */
      resourceKind: z.string().min(1).optional(),
      /** The replica field: `spec.job.parallelism`. */
      field: z
        .string()
        .regex(FIELD_PATH, { error: 'expected a dotted field path such as spec.job.parallelism' }),
      selector: z.string().min(1).optional(),
    }),
  ],
  { error: 'expected one of "Deployment", "StatefulSet", "ConfigMap", "Custom"' },
);
export type TargetConfig = z.output<typeof targetSchema>;

export const teamSchema = z
  .strictObject({
    name: teamName,
    description: z.string().optional(),
    minReplicas: integer({ min: 0 }).default(0),
    maxReplicas: integer({ min: 1 }),
    /** Asking for more than this needs a confirmation. */
    confirmAbove: integer({ min: 0 }).optional(),
    /** Asking for more than `above` waits for `count` members of `group` (not the requester) to approve. */
    approval: z
      .strictObject({
        above: integer({ min: 0 }),
        group: z.string().min(1),
        count: integer({ min: 1 }).default(1),
      })
      .optional(),
    targets: z.array(targetSchema).min(1),
  })
  .superRefine((team, ctx) => {
    if (team.minReplicas > team.maxReplicas)
      ctx.addIssue({
        code: 'custom',
        path: ['minReplicas'],
        message: `must not exceed maxReplicas (${team.maxReplicas})`,
      });
    const seen = new Set<string>();
    team.targets.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'name'],
          message: `"${t.name}" is used by another target`,
        });
      seen.add(t.name);
    });
  });
export type TeamConfig = z.output<typeof teamSchema>;

/** The teams whose workers dpbot scales; a key left empty (only comments under it) means none. */
export const teamsSchema = z.preprocess(
  (value) => (value === null || value === undefined ? [] : value),
  z.array(teamSchema).superRefine((teams, ctx) => {
    const seen = new Set<string>();
    teams.forEach((t, i) => {
      if (seen.has(t.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${t.name}" is used by another team` });
      seen.add(t.name);
    });
  }),
);
