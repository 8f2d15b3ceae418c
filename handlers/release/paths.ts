import picomatch from 'picomatch';

/**
 * Whether a changed file belongs to a service of a monorepo. A pattern is a folder prefix
 * (`services/orders/`, or `services/orders`) or a picomatch glob: `*` stays within one folder,
 * `**` crosses folders, `{a,b}` is a set, `[0-9]` a character class (`services/*\/api/**`,
 * `services/{orders,billing}/**`, `**\/*.sql`). A glob ending in `/` means that folder and all it
 * holds, as a prefix does.
 */
export function matchesPath(file: string, pattern: string): boolean {
  return matcher(pattern)(file);
}

const compiled = new Map<string, (file: string) => boolean>();

function matcher(pattern: string): (file: string) => boolean {
  let match = compiled.get(pattern);
  if (match) return match;
  if (!picomatch.scan(pattern).isGlob) {
    const prefix = pattern.endsWith('/') ? pattern : `${pattern}/`;
    match = (file) => file === pattern || file.startsWith(prefix);
  } else {
    // `dot`: a dot-file or dot-folder (`.github/`, `.env`) is as much a change as any other file,
    // as it was before picomatch; `nonegate`: negation is a list's business (touchesService).
    match = picomatch(pattern.endsWith('/') ? `${pattern}**` : pattern, { dot: true, nonegate: true });
  }
  // Patterns come from the configuration, so the map stays as small as the services' paths.
  compiled.set(pattern, match);
  return match;
}

/**
 * A service without paths owns its whole repository. A pattern starting with `!` takes files
 * back out of the others (`services/orders/`, `!services/orders/docs/**`), in any order; a list
 * of only negations owns everything else in the repository.
 */
export function touchesService(files: readonly string[], paths: readonly string[]): boolean {
  if (paths.length === 0) return true;
  const include = paths.filter((p) => !p.startsWith('!'));
  const exclude = paths.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  return files.some(
    (f) =>
      (include.length === 0 || include.some((p) => matchesPath(f, p))) &&
      !exclude.some((p) => matchesPath(f, p)),
  );
}
