import { readSecret } from '../../core/config/secrets.ts';
import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import {
  type AccessProbe,
  type GitHubClient,
  githubFromConfig,
  type TokenReport,
} from '../../integrations/github/githubClient.ts';
import { callFailed, cannotCheck, type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'github';

/** Below this share of the hour's requests left, the doctor warns. */
const LOW_RATE_LIMIT = 0.1;

function rateFinding(report: TokenReport): Finding {
  const windows = [
    ['REST', report.core],
    ['GraphQL', report.graphql],
  ] as const;
  const parts: string[] = [];
  let low: string | undefined;
  for (const [name, w] of windows) {
    if (!w) continue;
    parts.push(`${name} ${w.remaining} of ${w.limit}`);
    if (w.remaining < w.limit * LOW_RATE_LIMIT) low = `${name} resets at ${w.reset.toISOString()}`;
  }
  const message = `requests left this hour: ${parts.join(', ')}`;
  return low
    ? {
        status: 'warn',
        message,
        fix: `another user of GITHUB_TOKEN spends its limit (${low}); give dpbot a token of its own`,
      }
    : { status: 'ok', message };
}

/** What to grant for one refused kind of request: a classic token's scope, or a fine-grained permission. */
function grant(
  scopes: string[] | undefined,
  repository: string,
  permission:
    | 'Metadata: Read-only'
    | 'Pull requests: Read-only'
    | 'Contents: Read-only'
    | 'Contents: Read and write'
    | 'Pull requests: Read and write',
  probe: AccessProbe | undefined,
): string {
  if (scopes) {
    const write = permission.endsWith('Read and write');
    return `give GITHUB_TOKEN the repo scope (public_repo suffices for a public repository) at github.com/settings/tokens, and its owner ${write ? 'write' : 'read'} access to ${repository}`;
  }
  const said = probe?.needs ? ` (GitHub asks for ${probe.needs})` : '';
  return `give the fine-grained token (or the GitHub App installation) ${permission} on ${repository}${said}`;
}

async function repositoryFindings(
  client: GitHubClient,
  repository: string,
  scopes: string[] | undefined,
  releases: boolean,
  comments: boolean,
): Promise<Finding[]> {
  const access = await client.repositoryAccess(repository, { releases, comments });
  if (!access.visible)
    return [
      {
        status: 'fail',
        message: `GITHUB_TOKEN cannot see ${repository} (GitHub answers 404 for a repository a token may not see)`,
        fix: scopes
          ? grant(scopes, repository, 'Metadata: Read-only', undefined)
          : `add ${repository} to the repositories the fine-grained token (or the GitHub App installation) may access, or correct its name in release.services`,
      },
    ];
  const line = (probe: AccessProbe, what: string, permission: Parameters<typeof grant>[2]): Finding =>
    probe.ok
      ? { status: 'ok', message: `may ${what}` }
      : {
          status: 'fail',
          message: `may not ${what} (${probe.status ?? '?'}: ${probe.message ?? 'refused'})`,
          fix: grant(scopes, repository, permission, probe),
        };
  const findings = [
    line(access.pullRequests, 'read pull requests', 'Pull requests: Read-only'),
    line(access.contents, 'read contents (commits)', 'Contents: Read-only'),
  ];
  if (access.releases)
    findings.push(
      line(access.releases, 'create releases (release.githubReleases)', 'Contents: Read and write'),
    );
  if (access.comments)
    findings.push(
      line(access.comments, 'comment on pull requests (release.notices)', 'Pull requests: Read and write'),
    );
  return findings;
}

/**
 * GitHub: the token (its scopes when it is a classic one, and what is left of its rate limit),
 * then for each repository of the release what it may do there: read pull requests and contents,
 * create releases when `release.githubReleases` is on, and comment on pull requests when
 * `release.notices` is (an empty comment, which GitHub refuses only once it is allowed).
 */
export function githubChecks(ctx: DoctorContext): DoctorCheck[] {
  const { config } = ctx;
  const simulated = ctx.simulated(SYSTEM);
  const repositories = [...new Set(config.release.services.map((s) => s.repository))];
  if (repositories.length === 0)
    return [noteCheck(SYSTEM, '', simulated, notConfigured('no release.services'))];
  if (!readSecret(ctx.env, 'GITHUB_TOKEN'))
    return cannotCheck(
      SYSTEM,
      simulated,
      'GITHUB_TOKEN is not set: the release cannot read pull requests',
      'set GITHUB_TOKEN (or GITHUB_TOKEN_FILE) to a token that may read the release repositories',
    );
  const client = githubFromConfig(config.github, { env: ctx.env, log: ctx.log });
  const report = client.tokenReport();
  report.catch(() => undefined);
  const onError = callFailed({
    refused: 'GitHub refused GITHUB_TOKEN (Bad credentials): set it to a valid, unexpired token',
    unreachable: 'check github.apiUrl and that GitHub answers from where dpbot runs',
  });
  const endpoint = { url: config.github.apiUrl, setting: 'github.apiUrl', name: 'GitHub' };
  const tokenCheck: DoctorCheck = {
    system: SYSTEM,
    subject: 'token',
    simulated,
    endpoint,
    run: async () => {
      const r = await report;
      const kind: Finding = r.scopes
        ? { status: 'ok', message: `a classic token with scopes: ${r.scopes.join(', ') || 'none'}` }
        : {
            status: 'ok',
            message: 'a fine-grained token or a GitHub App (permissions are checked per repository below)',
          };
      return [kind, rateFinding(r)];
    },
    onError,
  };
  const releases = config.release.githubReleases;
  const comments = config.release.notices.enabled;
  return [
    tokenCheck,
    ...repositories.map(
      (repository): DoctorCheck => ({
        system: SYSTEM,
        subject: repository,
        simulated,
        endpoint,
        run: async () => repositoryFindings(client, repository, (await report).scopes, releases, comments),
        onError,
      }),
    ),
  ];
}
