import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../core/paths.ts';
import { QUEUES as datasets } from '../../handlers/datasets/queues.ts';
import { QUEUES as directory } from '../../handlers/directory/queues.ts';
import { QUEUES as release } from '../../handlers/release/queues.ts';
import { QUEUES as scaling } from '../../handlers/scaling/queues.ts';
import { QUEUES as tasks } from '../../handlers/tasks/queues.ts';
import { QUEUES as pipeline } from '../../pipeline/queues.ts';

/** Every queues.ts, by its path from the project root: the one list of the job queues. */
const declared: Record<string, Record<string, string>> = {
  'handlers/datasets/queues.ts': datasets,
  'handlers/directory/queues.ts': directory,
  'handlers/release/queues.ts': release,
  'handlers/scaling/queues.ts': scaling,
  'handlers/tasks/queues.ts': tasks,
  'pipeline/queues.ts': pipeline,
};

const root = projectRoot();
const queues = Object.entries(declared).flatMap(([file, names]) =>
  Object.values(names).map((name) => ({ name, file })),
);
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

/** The product's TypeScript files below `folder`, as paths from the project root. */
function sources(folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative(root, join(root, folder, f)));
}
const productFolders = ['app', 'bot', 'core', 'db', 'handlers', 'integrations', 'pipeline', 'policies'];

describe('job queue names', () => {
  it('every queues.ts of the product is in the list above', () => {
    const found = productFolders.flatMap(sources).filter((f) => f.endsWith('/queues.ts'));
    expect(found.sort()).toEqual(Object.keys(declared).sort());
  });

  it('no queue name is declared twice, in one slice or across slices', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const { name, file } of queues) {
      const first = seen.get(name);
      if (first) twice.push(`${name} (${first} and ${file})`);
      seen.set(name, file);
    }
    expect(twice).toEqual([]);
  });

  it('no product file spells a queue name instead of importing it from its queues.ts', () => {
    const spelled: string[] = [];
    for (const file of productFolders.flatMap(sources)) {
      if (file in declared) continue;
      const text = readFileSync(join(root, file), 'utf8');
      for (const { name } of queues)
        if (["'", '"', '`'].some((q) => text.includes(`${q}${name}${q}`))) spelled.push(`${file}: ${name}`);
    }
    expect(spelled).toEqual([]);
  });

  it("docs/ARCHITECTURE.md's queue table lists exactly the declared queues, each with its queues.ts", () => {
    const doc = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith('Background work and its queues'));
    expect(section).toBeDefined();
    const rows = (section ?? '')
      .split('\n')
      .map((line) => /^\|\s*`([^`]+)`\s*\|[^|]*\|\s*`([^`]+)`\s*\|\s*$/.exec(line))
      .filter((m) => m !== null)
      .map(([, name = '', file = '']) => ({ name, file }));
    expect(rows.sort(byName)).toEqual([...queues].sort(byName));
  });
});
