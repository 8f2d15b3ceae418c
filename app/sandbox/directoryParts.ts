import { ConfigError } from '../../core/errors.ts';
import { GithubTeamsSimulator } from '../../sandbox/github/githubSimulator.ts';
import { GoogleDirectorySimulator } from '../../sandbox/google-directory/googleDirectorySimulator.ts';
import type { Config } from '../config/schema.ts';
import type { SandboxPart } from './sandboxPart.ts';

/**
 * Adds a simulated directory source. The name is the sandbox's while the directory is simulated
 * (`config check` refuses a configured source of that name, see sandboxProblems), so a clash here
 * is a configuration that skipped the check, and it stops the start rather than quietly keeping
 * either source.
 */
function addSource(config: Config, source: Config['directory']['sources'][number]): void {
  const index = config.directory.sources.findIndex((s) => s.name === source.name);
  if (index >= 0)
    throw new ConfigError('sandbox', [
      `directory.sources[${index}].name: "${source.name}" is the simulated ${source.type} source's name while sandbox.directory is simulated; rename yours, or set sandbox.directory: false to use your own sources`,
    ]);
  config.directory.sources.push(source);
}

const common = { schedule: '*/15 * * * *', timeout: 120_000, maxRemovalShare: 0.1, removalAllowance: 5 };

/**
 * A Google Workspace with the sandbox's people: `access sync google` in the console fills the
 * groups google:data-platform@example.com, google:oncall@example.com (nested) and
 * google:everyone@example.com.
 */
export const googleDirectoryPart: SandboxPart = {
  name: 'Google Workspace directory',
  system: 'directory',
  async start() {
    const sim = new GoogleDirectorySimulator({
      customerId: 'C0sandbox',
      admins: ['admin@example.com'],
      users: [
        { primaryEmail: 'admin@example.com', fullName: 'Workspace Admin' },
        { primaryEmail: 'ada@example.com', fullName: 'Ada Lovelace' },
        { primaryEmail: 'grace@example.com', fullName: 'Grace Hopper' },
        { primaryEmail: 'linus@example.com', fullName: 'Linus Torvalds' },
        { primaryEmail: 'olive@example.com', fullName: 'Olive Former', suspended: true },
      ],
      groups: [
        {
          email: 'data-platform@example.com',
          name: 'Data platform',
          members: [{ email: 'ada@example.com' }],
        },
        {
          email: 'oncall@example.com',
          name: 'On-call',
          members: [{ email: 'grace@example.com' }, { email: 'data-platform@example.com', type: 'GROUP' }],
        },
        { email: 'everyone@example.com', name: 'Everyone', members: [{ email: '', type: 'CUSTOMER' }] },
      ],
    });
    await sim.start();
    return {
      configure(config) {
        addSource(config, {
          ...common,
          name: 'google',
          type: 'google',
          customer: 'my_customer',
          subject: 'admin@example.com',
          apiUrl: sim.url,
          tokenUrl: sim.tokenUrl,
          maxRetries: 5,
          credentialsEnv: 'GOOGLE_SERVICE_ACCOUNT_JSON',
        });
      },
      env: { GOOGLE_SERVICE_ACCOUNT_JSON: sim.serviceAccountKey() },
      stop: () => sim.stop(),
    };
  },
};

/** A GitHub organization whose teams become github:platform, github:platform-oncall (a child team), github:kernel. */
export const githubTeamsPart: SandboxPart = {
  name: 'GitHub teams',
  system: 'directory',
  async start() {
    const sim = new GithubTeamsSimulator({
      org: 'example',
      members: [
        { login: 'ada-l', name: 'Ada Lovelace', verifiedEmails: ['ada@example.com'] },
        { login: 'ghopper', name: 'Grace Hopper', verifiedEmails: ['grace@example.com'] },
        { login: 'torvalds', name: 'Linus Torvalds', verifiedEmails: ['linus@example.com'] },
      ],
      teams: [
        { slug: 'platform', name: 'Platform', members: ['ada-l'] },
        { slug: 'platform-oncall', name: 'Platform on-call', parent: 'platform', members: ['ghopper'] },
        { slug: 'kernel', name: 'Kernel', members: ['torvalds'] },
      ],
    });
    await sim.start();
    return {
      configure(config) {
        addSource(config, {
          ...common,
          name: 'github',
          type: 'github',
          org: 'example',
          apiUrl: sim.url,
          emails: 'verified',
          maxRetries: 3,
          tokenEnv: 'GITHUB_TEAMS_TOKEN',
        });
      },
      // Its own variable, so the sandbox never hands this fake token to another GitHub integration.
      env: { GITHUB_TEAMS_TOKEN: sim.token },
      stop: () => sim.stop(),
    };
  },
};
