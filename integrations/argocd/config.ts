import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';

/** The `argocd` section; left out or left empty (YAML null) it takes its defaults. */
export const argocdSchema = z.preprocess(
  (value) => (value === null || value === undefined ? {} : value),
  z.strictObject({
    /** Argo CD server URL (https://argocd.example.com); leave out when Argo CD is not used. */
    url: z.url().optional(),
    /** Per-request timeout. */
    timeout: duration().prefault('30s'),
  }),
);

export type ArgoCdConfig = z.output<typeof argocdSchema>;
