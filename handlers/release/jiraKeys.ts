/**
 * Jira keys in pull requests: `DATA-123` in a title (`[DATA-123] Fix…`, `DATA-123: fix…`), a branch
 * (`feature/DATA-123-retry`, often lower-cased: `data-123-retry`) or a body (`Closes DATA-123`, a
 * browse link). Pure code, so it is tested without Jira.
 */

/** Upper-case words that look like keys but never are (encodings, standards, hashes). */
const NOT_JIRA = new Set(['UTF', 'ISO', 'SHA', 'RFC', 'CVE', 'GMT', 'UTC', 'TLS', 'SSL', 'HTTP', 'X', 'MD']);

const KEY = /(?<![A-Za-z0-9_-])([A-Z][A-Z0-9_]{1,9})-([1-9][0-9]{0,6})(?![A-Za-z0-9]|-[0-9])/g;
const KEY_ANY_CASE = /(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]{1,9})-([1-9][0-9]{0,6})(?![0-9])/g;

export interface KeySources {
  title: string;
  branch?: string | null;
  body?: string | null;
}

/**
 * Keys in the order found (title, branch, body), each once. With `projects`, only those projects
 * count, and branch names match whatever their case; without, any upper-case key that is not a
 * well-known non-Jira prefix counts.
 */
export function extractJiraKeys(sources: KeySources, projects: readonly string[] = []): string[] {
  const allowed = new Set(projects.map((p) => p.toUpperCase()));
  const found: string[] = [];
  const add = (project: string, number: string) => {
    const key = `${project.toUpperCase()}-${number}`;
    if (allowed.size > 0 ? !allowed.has(project.toUpperCase()) : NOT_JIRA.has(project)) return;
    if (!found.includes(key)) found.push(key);
  };
  for (const m of sources.title.matchAll(KEY)) add(m[1] ?? '', m[2] ?? '');
  if (sources.branch) {
    const pattern = allowed.size > 0 ? KEY_ANY_CASE : KEY;
    for (const m of sources.branch.matchAll(pattern)) add(m[1] ?? '', m[2] ?? '');
  }
  if (sources.body) {
    // Code blocks quote logs and stack traces, where key-like words are noise.
    const prose = sources.body.replace(/```[\s\S]*?```/g, ' ').replace(/`[^`\n]*`/g, ' ');
    for (const m of prose.matchAll(KEY)) add(m[1] ?? '', m[2] ?? '');
  }
  return found;
}
