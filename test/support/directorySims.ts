import type { GithubTeamsData } from '../../sandbox/github/githubData.ts';
import type { GoogleDirectoryData } from '../../sandbox/google-directory/googleDirectorySimulator.ts';

/** `count` people at example.com: u0001@example.com, … */
export const people = (count: number, prefix = 'u') =>
  Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(4, '0')}@example.com`);

/**
 * A Workspace with enough people to need several pages: 1,100 users (users.list pages hold 500),
 * a group of 450 (members.list pages hold 200), nested groups with a cycle, an everyone group and
 * a suspended user.
 */
export function googleWorkspace(): GoogleDirectoryData {
  const staff = people(1100);
  return {
    customerId: 'C01abc234',
    admins: ['admin@example.com'],
    users: [
      { primaryEmail: 'admin@example.com', fullName: 'Workspace Admin' },
      { primaryEmail: 'ada@example.com', fullName: 'Ada Lovelace' },
      { primaryEmail: 'grace@example.com', fullName: 'Grace Hopper' },
      { primaryEmail: 'olive@example.com', fullName: 'Olive Former', suspended: true },
      ...staff.map((e) => ({ primaryEmail: e })),
    ],
    groups: [
      {
        email: 'data-platform@example.com',
        name: 'Data platform',
        members: [{ email: 'ada@example.com', role: 'OWNER' }],
      },
      {
        email: 'oncall@example.com',
        name: 'On-call',
        members: [{ email: 'grace@example.com' }, { email: 'data-platform@example.com', type: 'GROUP' }],
      },
      {
        email: 'engineering@example.com',
        name: 'Engineering',
        members: [
          { email: 'oncall@example.com', type: 'GROUP' },
          { email: 'olive@example.com' },
          { email: 'contractor@partner.example', type: 'EXTERNAL' },
          ...staff.slice(0, 450).map((email) => ({ email })),
        ],
      },
      // A cycle: loop-a ∈ loop-b ∈ loop-a.
      {
        email: 'loop-a@example.com',
        members: [{ email: 'loop-b@example.com', type: 'GROUP' }, { email: 'ada@example.com' }],
      },
      {
        email: 'loop-b@example.com',
        members: [{ email: 'loop-a@example.com', type: 'GROUP' }, { email: 'grace@example.com' }],
      },
      { email: 'everyone@example.com', members: [{ email: '', type: 'CUSTOMER' }] },
    ],
  };
}

/** An organization with 130 teams (REST pages hold 100), a team of 140 and nested teams. */
export function githubOrg(): GithubTeamsData {
  const logins = Array.from({ length: 150 }, (_, i) => `dev${i + 1}`);
  return {
    org: 'example',
    members: [
      { login: 'ada-l', name: 'Ada Lovelace', verifiedEmails: ['ada@example.com'] },
      {
        login: 'ghopper',
        name: 'Grace Hopper',
        verifiedEmails: ['grace@example.com', 'amazing.grace@example.com'],
      },
      { login: 'linus', name: 'Linus', verifiedEmails: [] },
      { login: 'nomail', verifiedEmails: [] },
      ...logins.map((login) => ({ login, verifiedEmails: [`${login}@example.com`] })),
    ],
    teams: [
      { slug: 'platform', name: 'Platform', members: ['ada-l'] },
      {
        slug: 'platform-oncall',
        name: 'Platform on-call',
        parent: 'platform',
        members: ['ghopper', 'nomail'],
      },
      { slug: 'everyone', name: 'Everyone', members: logins.slice(0, 140) },
      { slug: 'kernel', name: 'Kernel', members: ['linus'] },
      ...Array.from({ length: 126 }, (_, i) => ({ slug: `squad-${i + 1}`, members: [logins[i] ?? 'dev1'] })),
    ],
  };
}
