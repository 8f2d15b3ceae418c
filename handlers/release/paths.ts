/**
 * Whether a changed file belongs to a service of a monorepo. A pattern is a folder prefix
 * (`services/orders/`, or `services/orders`) or a glob where `*` stays within one folder and `**`
 * crosses folders (`services/*\/api/**`, `**\/*.sql`).
 */
export function matchesPath(file: string, pattern: string): boolean {
  if (!/[*?]/.test(pattern)) {
    const prefix = pattern.endsWith('/') ? pattern : `${pattern}/`;
    return file === pattern || file.startsWith(prefix);
  }
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else re += '.*';
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`).test(file);
}

/** A service without paths owns its whole repository. */
export function touchesService(files: readonly string[], paths: readonly string[]): boolean {
  if (paths.length === 0) return true;
  return files.some((f) => paths.some((p) => matchesPath(f, p)));
}
