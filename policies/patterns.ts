/**
 * Action patterns: `workers.scale`, `workers.*`, `*`.
 * Resource patterns: `*`, or `<kind>:<name>` where the name may use `*` as a wildcard
 * (`team:team-x`, `team:*`, `dataset:orders-*`).
 */
export const ACTION_PATTERN = /^(\*|[a-z][a-z0-9-]*(\.([a-z][a-z0-9-]*|\*))*)$/;
export const RESOURCE_PATTERN = /^(\*|[a-z][a-z-]*:[A-Za-z0-9._@/*-]+)$/;

export function matchesAction(pattern: string, action: string): boolean {
  if (pattern === '*' || pattern === action) return true;
  if (pattern.endsWith('.*')) return action.startsWith(pattern.slice(0, -1));
  return false;
}

const compiled = new Map<string, RegExp>();

export function matchesResource(pattern: string, resource: string): boolean {
  if (pattern === '*' || pattern === resource) return true;
  if (!pattern.includes('*')) return false;
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    compiled.set(pattern, re);
  }
  return re.test(resource);
}

export function resourceKind(pattern: string): string | undefined {
  return pattern === '*' ? undefined : pattern.slice(0, pattern.indexOf(':'));
}
