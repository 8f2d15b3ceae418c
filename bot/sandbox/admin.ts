import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { resolveConfigRelative } from '../../core/config/relativePath.ts';
import { parseYaml } from '../../core/config/yaml.ts';
import type { Config } from '../config/schema.ts';

/** The sandbox directory's groups a newcomer needs to try every command. */
const ADMIN_GROUPS = ['data-platform', 'engineering'];

interface DirectoryFile {
  users?: { email: string; name?: string }[];
  groups?: { id: string; members?: string[] }[];
}

/**
 * A sandbox served to a real Slack workspace knows only the sandbox's four people; the person who
 * installed the app is added to a copy of its directory, in the groups that hold the
 * data-platform grants, so the tour works in Slack as it does in the console. Only the copy of
 * the configuration the sandbox runs with is changed.
 */
export function withSandboxAdmin(
  config: Config,
  baseDir: string,
  email: string,
): { config: Config; remove(): void } {
  const copy = structuredClone(config);
  const source = copy.directory.sources.find((s) => s.type === 'file' && s.path !== undefined);
  if (source?.type !== 'file' || source.path === undefined) return { config: copy, remove: () => undefined };
  const path = resolveConfigRelative({ baseDir }, source.path);
  const directory = parseYaml(readFileSync(path, 'utf8'), path) as DirectoryFile;
  const lower = email.toLowerCase();
  const users = directory.users ?? [];
  if (!users.some((u) => u.email.toLowerCase() === lower)) users.push({ email: lower, name: lower });
  const groups = (directory.groups ?? []).map((g) =>
    ADMIN_GROUPS.includes(g.id) && !(g.members ?? []).includes(lower)
      ? { ...g, members: [...(g.members ?? []), lower] }
      : g,
  );
  const dir = mkdtempSync(join(tmpdir(), 'dpbot-sandbox-directory-'));
  const written = join(dir, 'directory.yaml');
  writeFileSync(written, stringify({ ...directory, users, groups }));
  source.path = written;
  return { config: copy, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
