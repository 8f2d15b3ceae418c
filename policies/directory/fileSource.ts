import { readFile } from 'node:fs/promises';
import { describeIssues } from '../../bot/config/describeIssues.ts';
import { parseYaml } from '../../bot/config/loadConfig.ts';
import { ConfigError, errorMessage } from '../../bot/errors.ts';
import { type DirectorySnapshot, fileDirectorySchema, normaliseSnapshot } from './snapshot.ts';

/** Reads a YAML or JSON directory file (JSON is YAML, so one parser serves both). */
export async function readFileDirectory(path: string): Promise<DirectorySnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(path, [`cannot read the directory file: ${errorMessage(error)}`]);
  }
  const parsed = fileDirectorySchema.safeParse(parseYaml(text, path) ?? {});
  if (!parsed.success) throw new ConfigError(path, describeIssues(parsed.error));
  return normaliseSnapshot({
    users: parsed.data.users.map((u) => ({
      email: u.email,
      name: u.name,
      slackUserId: u.slackId,
      active: u.active,
    })),
    groups: parsed.data.groups.map((g) => ({ id: g.id, displayName: g.name, members: g.members })),
  });
}
