import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export interface Fixture {
  dir: string;
  configPath: string;
  write(relative: string, content: string | object): string;
  remove(): void;
}

export const standardDirectory = {
  users: [
    { email: 'ada@example.com', name: 'Ada Lovelace', slackId: 'U0ADA00001' },
    { email: 'grace@example.com', name: 'Grace Hopper', slackId: 'U0GRACE001' },
    { email: 'linus@example.com', name: 'Linus Torvalds', slackId: 'U0LINUS001' },
    { email: 'olive@example.com', name: 'Olive Former', slackId: 'U0OLIVE001', active: false },
  ],
  groups: [
    { id: 'data-platform', members: ['ada@example.com'] },
    { id: 'team-x-oncall', members: ['grace@example.com'] },
    { id: 'engineering', members: ['ada@example.com', 'grace@example.com', 'linus@example.com'] },
  ],
};

export const standardPolicies = {
  grants: [
    { group: 'file:data-platform', actions: ['*'] },
    { group: 'file:engineering', actions: ['access.read'] },
  ],
};

/**
 * A configuration folder in a temporary directory: dpbot.yaml, a directory file and a policies
 * folder, each overridable. Objects are written as YAML.
 */
export function createFixture(
  options: { config?: object; directory?: object; policies?: Record<string, object | string> } = {},
): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'dpbot-fixture-'));
  // mkdtemp makes the folder private; as root, the embedded PostgreSQL runs as "postgres" and
  // must be able to pass through it to its data folder.
  chmodSync(dir, 0o755);
  const write = (relative: string, content: string | object) => {
    const path = join(dir, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : stringify(content));
    return path;
  };
  write('directory.yaml', options.directory ?? standardDirectory);
  mkdirSync(join(dir, 'policies'), { recursive: true });
  for (const [name, content] of Object.entries(options.policies ?? { 'platform.yaml': standardPolicies })) {
    write(join('policies', name), content);
  }
  const configPath = write('dpbot.yaml', {
    log: { level: 'silent' },
    access: { adminContact: '#data-platform' },
    directory: { sources: [{ name: 'file', type: 'file', path: 'directory.yaml' }] },
    console: { as: 'ada@example.com' },
    ...options.config,
  });
  return { dir, configPath, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
