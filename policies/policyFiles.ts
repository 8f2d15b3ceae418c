import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../core/config/describeIssues.ts';
import { parseYaml } from '../core/config/yaml.ts';
import { ConfigError, errorMessage } from '../core/errors.ts';
import type { PolicyGrant } from '../db/stores/accessStore.ts';
import type { ActionCatalog } from './actionCatalog.ts';
import { ACTION_PATTERN, RESOURCE_PATTERN, resourceKind } from './patterns.ts';

const grantSchema = z
  .strictObject({
    group: z.string().min(1).optional(),
    user: z.email().optional(),
    description: z.string().optional(),
    actions: z.array(z.string()).min(1),
    resources: z.array(z.string()).min(1).default(['*']),
    limits: z.record(z.string(), z.number().nonnegative()).default({}),
    approval: z
      .strictObject({
        group: z.string().min(1),
        count: z.int().min(1).default(1),
      })
      .optional(),
  })
  .refine((g) => (g.group === undefined) !== (g.user === undefined), {
    error: 'a grant names exactly one of "group" or "user"',
  });

const policyFileSchema = z.strictObject({
  grants: z.array(grantSchema).default([]),
});

export interface PolicyCheck {
  grants: PolicyGrant[];
  errors: string[];
  warnings: string[];
  files: string[];
}

export type { PolicyGrant };

export function policyFilesIn(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    throw new ConfigError('access.policies', [
      `cannot read the policies folder ${dir}: ${errorMessage(error)}`,
    ]);
  }
  return entries
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Reads and checks every `*.yaml` grant file in `dir`. Unknown actions, limits that no granted
 * action takes, and malformed patterns are errors; groups and users the directory does not know
 * (yet) are warnings, because policy may be merged before the directory syncs.
 */
export function checkPolicies(
  dir: string,
  catalog: ActionCatalog,
  known?: { groups: ReadonlySet<string>; users: ReadonlySet<string> },
  displayBase: string = dir,
): PolicyCheck {
  return checkPolicyFiles(policyFilesIn(dir), catalog, known, displayBase);
}

/** The same checks over a list of files (`dpbot policies diff a.yaml b.yaml`). */
export function checkPolicyFiles(
  files: readonly string[],
  catalog: ActionCatalog,
  known: { groups: ReadonlySet<string>; users: ReadonlySet<string> } | undefined,
  displayBase: string,
): PolicyCheck {
  const out: PolicyCheck = { grants: [], errors: [], warnings: [], files: [] };
  for (const file of files) {
    const shown = relative(displayBase, file) || basename(file);
    out.files.push(shown);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(file, 'utf8'), shown);
    } catch (error) {
      if (error instanceof ConfigError) out.errors.push(...error.problems.map((p) => `${shown}: ${p}`));
      else out.errors.push(`${shown}: ${errorMessage(error)}`);
      continue;
    }
    const parsed = policyFileSchema.safeParse(raw ?? {});
    if (!parsed.success) {
      out.errors.push(...describeIssues(parsed.error).map((p) => `${shown}: ${p}`));
      continue;
    }
    parsed.data.grants.forEach((g, i) => {
      const at = `${shown}: grants[${i}]`;
      const before = out.errors.length;
      for (const [j, action] of g.actions.entries()) {
        if (!ACTION_PATTERN.test(action))
          out.errors.push(`${at}.actions[${j}]: "${action}" is not an action pattern`);
        else if (catalog.covered(action).length === 0)
          out.errors.push(`${at}.actions[${j}]: unknown action "${action}"${suggest(action, catalog)}`);
      }
      const granted = g.actions.flatMap((a) => catalog.covered(a));
      for (const [j, resource] of g.resources.entries()) {
        if (!RESOURCE_PATTERN.test(resource)) {
          out.errors.push(
            `${at}.resources[${j}]: "${resource}" is not a resource pattern (expected "*" or "<kind>:<name>", e.g. "team:team-x")`,
          );
          continue;
        }
        const kind = resourceKind(resource);
        const kinds = new Set(granted.flatMap((a) => a.resourceKinds));
        if (kind && granted.length > 0 && kinds.size > 0 && !kinds.has(kind)) {
          out.errors.push(
            `${at}.resources[${j}]: no granted action is checked against "${kind}:" resources (they use ${[...kinds].map((k) => `${k}:`).join(', ')})`,
          );
        }
      }
      const limitNames = new Set(granted.flatMap((a) => a.limits));
      for (const name of Object.keys(g.limits)) {
        if (!limitNames.has(name)) {
          out.errors.push(
            `${at}.limits.${name}: no granted action takes this limit${limitNames.size ? ` (they take ${[...limitNames].join(', ')})` : ''}`,
          );
        }
      }
      if (g.group && known && !known.groups.has(g.group)) {
        out.warnings.push(
          `${at}.group: "${g.group}" is not (yet) a known group; this grant matches no one until it is`,
        );
      }
      if (g.user && known && !known.users.has(g.user.toLowerCase())) {
        out.warnings.push(`${at}.user: "${g.user}" is not (yet) a known user`);
      }
      if (g.approval && known && !known.groups.has(g.approval.group)) {
        out.warnings.push(`${at}.approval.group: "${g.approval.group}" is not (yet) a known group`);
      }
      if (out.errors.length > before) return;
      out.grants.push({
        subject: g.group
          ? { kind: 'group', name: g.group }
          : { kind: 'user', email: (g.user as string).toLowerCase() },
        actions: g.actions,
        resources: g.resources,
        limits: g.limits,
        approval: g.approval ?? null,
        origin: `${shown}#grants[${i}]`,
      });
    });
  }
  return out;
}

function suggest(action: string, catalog: ActionCatalog): string {
  const prefix = action.split('.')[0] ?? '';
  const near = catalog.all().filter((a) => a.action.startsWith(`${prefix}.`));
  return near.length ? ` (known: ${near.map((a) => a.action).join(', ')})` : '';
}
