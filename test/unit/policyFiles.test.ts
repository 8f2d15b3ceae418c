import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../app/app.ts';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import { projectRoot } from '../../core/paths.ts';
import { checkPolicies } from '../../policies/policyFiles.ts';
import { createFixture } from '../support/fixture.ts';

const catalog = buildRegistry().catalog;

function check(files: Record<string, object | string>, known?: { groups: string[]; users: string[] }) {
  const fixture = createFixture({ policies: files });
  try {
    return checkPolicies(
      `${fixture.dir}/policies`,
      catalog,
      known && { groups: new Set(known.groups), users: new Set(known.users) },
      fixture.dir,
    );
  } finally {
    fixture.remove();
  }
}

describe('policies check', () => {
  it("knows every action the repository's own policy files grant, offline as `dpbot policies check` reads them", () => {
    // Actions that no command checks (shipping during a freeze) must be in the offline catalog too.
    const offline = buildRegistry([], loadConfig({ path: exampleConfigPath() }).config).catalog;
    const result = checkPolicies(`${projectRoot()}/policies`, offline, undefined, projectRoot());
    expect(result.errors).toEqual([]);
    expect(offline.get('release.ship.frozen')).toBeDefined();
  });

  it('accepts the grants dpbot ships with', () => {
    const result = check({
      'a.yaml': {
        grants: [{ group: 'file:ops', actions: ['audit.read', 'access.*'], resources: ['audit:*'] }],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.grants).toEqual([
      {
        subject: { kind: 'group', name: 'file:ops' },
        actions: ['audit.read', 'access.*'],
        resources: ['audit:*'],
        limits: {},
        approval: null,
        origin: 'policies/a.yaml#grants[0]',
      },
    ]);
  });

  it('a grant names exactly one subject', () => {
    const result = check({
      'b.yaml': { grants: [{ user: 'ada@example.com', group: 'file:ops', actions: ['audit.read'] }] },
    });
    expect(result.errors).toEqual([
      'policies/b.yaml: grants[0]: a grant names exactly one of "group" or "user"',
    ]);
  });

  it('reports unknown actions, malformed patterns and limits no action takes, with file and path', () => {
    const second = check({
      'b.yaml': {
        grants: [
          { group: 'file:ops', actions: ['audit.reed'] },
          { group: 'file:ops', actions: ['Audit Read!'] },
          { group: 'file:ops', actions: ['audit.read'], resources: ['team x'] },
          { group: 'file:ops', actions: ['audit.read'], limits: { maxReplicas: 3 } },
        ],
      },
    });
    expect(second.errors).toEqual([
      'policies/b.yaml: grants[0].actions[0]: unknown action "audit.reed" (known: audit.read)',
      'policies/b.yaml: grants[1].actions[0]: "Audit Read!" is not an action pattern',
      'policies/b.yaml: grants[2].resources[0]: "team x" is not a resource pattern (expected "*" or "<kind>:<name>", e.g. "team:team-x")',
      'policies/b.yaml: grants[3].limits.maxReplicas: no granted action takes this limit',
    ]);
    expect(second.grants).toEqual([]);
  });

  it('reports YAML errors and unknown keys per file, and keeps the other files', () => {
    const result = check({
      'bad.yaml': 'grants: [',
      'typo.yaml': { grant: [] },
      'good.yaml': { grants: [{ group: 'file:ops', actions: ['audit.read'] }] },
    });
    expect(result.errors.some((e) => e.startsWith('policies/bad.yaml: line'))).toBe(true);
    expect(result.errors).toContain("policies/typo.yaml: unknown key 'grant'");
    expect(result.grants.map((g) => g.origin)).toEqual(['policies/good.yaml#grants[0]']);
  });

  it('warns about groups and users the directory does not know', () => {
    const result = check(
      {
        'c.yaml': {
          grants: [
            { group: 'file:ghosts', actions: ['audit.read'] },
            { user: 'Nobody@Example.com', actions: ['audit.read'] },
            { group: 'file:ops', actions: ['audit.read'] },
          ],
        },
      },
      { groups: ['file:ops'], users: ['ada@example.com'] },
    );
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      'policies/c.yaml: grants[0].group: "file:ghosts" is not (yet) a known group; this grant matches no one until it is',
      'policies/c.yaml: grants[1].user: "Nobody@Example.com" is not (yet) a known user',
    ]);
    expect(result.grants[1]?.subject).toEqual({ kind: 'user', email: 'nobody@example.com' });
  });
});
