import type { SimRequest, SimResponse } from '../http.ts';
import {
  type SimCommit,
  type SimIssueComment,
  type SimPullRequest,
  type SimRelease,
  type SimRepository,
  sha,
} from './githubData.ts';
import type { RateLimitInfo } from './rateLimits.ts';

/**
 * GitHub's REST objects as GitHub sends them: every field its OpenAPI description
 * (github/rest-api-description, published as @octokit/openapi) marks required, with realistic
 * values. `api` is the simulator's base URL, where GitHub writes https://api.github.com; pages
 * (html_url) stay on github.com. test/contract/githubRest.test.ts holds every answer to that
 * description.
 */

export const DOCS = 'https://docs.github.com/rest';

/**
 * GitHub's error body (the description's `basic-error`): a message, where to read about it, and
 * the status again as a string, as GitHub has sent since 2024.
 */
export function githubError(status: number, message: string, documentationUrl = DOCS): SimResponse {
  return { status, body: { message, documentation_url: documentationUrl, status: String(status) } };
}

export const notFound: SimResponse = githubError(404, 'Not Found');

/**
 * 422 Validation Failed (the description's `validation-error`: no `status` field), one error per
 * field, with GitHub's documented codes (docs.github.com/rest, "Client errors": missing_field,
 * invalid, already_exists, …).
 */
export function validationFailed(
  resource: string,
  errors: { field: string; code: string }[],
  documentationUrl = DOCS,
): SimResponse {
  return {
    status: 422,
    body: {
      message: 'Validation Failed',
      errors: errors.map((e) => ({ resource, ...e })),
      documentation_url: documentationUrl,
    },
  };
}

/** A stable numeric id for a thing, in GitHub's range. */
export function idOf(thing: string): number {
  return 1 + (Number.parseInt(sha(thing).slice(0, 8), 16) % 900_000_000);
}

/** GitHub's (legacy) global node id: base64 of `0<type length>:<Type><id>` ("MDQ6VXNlcjE=" is User 1). */
export function nodeId(type: string, id: number | string): string {
  return Buffer.from(`0${type.length}:${type}${id}`).toString('base64');
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A user or organization as GitHub embeds one (`simple-user`). */
export function simpleUser(
  api: string,
  login: string,
  options: { type?: 'User' | 'Organization' | 'Bot'; id?: number } = {},
) {
  const id = options.id ?? idOf(`user:${login}`);
  const url = `${api}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(options.type === 'Organization' ? 'Organization' : 'User', id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    // A GitHub App's bot account (`name[bot]`) has its page under /apps.
    html_url:
      options.type === 'Bot'
        ? `https://github.com/apps/${login.replace(/\[bot\]$/, '')}`
        : `https://github.com/${login}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: options.type ?? 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** GitHub's own committer of merges made on github.com. */
const webFlow = (api: string) => simpleUser(api, 'web-flow', { id: 19864447 });

/** A repository as GitHub embeds one (`repository`: a pull request's head and base). */
export function repositoryJson(api: string, repo: SimRepository) {
  const [owner = '', name = ''] = repo.fullName.split('/');
  const id = idOf(`repo:${repo.fullName.toLowerCase()}`);
  const url = `${api}/repos/${repo.fullName}`;
  const html = `https://github.com/${repo.fullName}`;
  const created = repo.commits[0]?.date ?? new Date(0);
  const pushed = repo.commits.at(-1)?.date ?? created;
  return {
    id,
    node_id: nodeId('Repository', id),
    name,
    full_name: repo.fullName,
    owner: simpleUser(api, owner, { type: 'Organization', id: idOf(`org:${owner.toLowerCase()}`) }),
    private: true,
    html_url: html,
    description: null,
    fork: false,
    url,
    archive_url: `${url}/{archive_format}{/ref}`,
    assignees_url: `${url}/assignees{/user}`,
    blobs_url: `${url}/git/blobs{/sha}`,
    branches_url: `${url}/branches{/branch}`,
    collaborators_url: `${url}/collaborators{/collaborator}`,
    comments_url: `${url}/comments{/number}`,
    commits_url: `${url}/commits{/sha}`,
    compare_url: `${url}/compare/{base}...{head}`,
    contents_url: `${url}/contents/{+path}`,
    contributors_url: `${url}/contributors`,
    deployments_url: `${url}/deployments`,
    downloads_url: `${url}/downloads`,
    events_url: `${url}/events`,
    forks_url: `${url}/forks`,
    git_commits_url: `${url}/git/commits{/sha}`,
    git_refs_url: `${url}/git/refs{/sha}`,
    git_tags_url: `${url}/git/tags{/sha}`,
    git_url: `git://github.com/${repo.fullName}.git`,
    issue_comment_url: `${url}/issues/comments{/number}`,
    issue_events_url: `${url}/issues/events{/number}`,
    issues_url: `${url}/issues{/number}`,
    keys_url: `${url}/keys{/key_id}`,
    labels_url: `${url}/labels{/name}`,
    languages_url: `${url}/languages`,
    merges_url: `${url}/merges`,
    milestones_url: `${url}/milestones{/number}`,
    notifications_url: `${url}/notifications{?since,all,participating}`,
    pulls_url: `${url}/pulls{/number}`,
    releases_url: `${url}/releases{/id}`,
    ssh_url: `git@github.com:${repo.fullName}.git`,
    stargazers_url: `${url}/stargazers`,
    statuses_url: `${url}/statuses/{sha}`,
    subscribers_url: `${url}/subscribers`,
    subscription_url: `${url}/subscription`,
    tags_url: `${url}/tags`,
    teams_url: `${url}/teams`,
    trees_url: `${url}/git/trees{/sha}`,
    clone_url: `${html}.git`,
    mirror_url: null,
    hooks_url: `${url}/hooks`,
    svn_url: html,
    homepage: null,
    language: 'TypeScript',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    // Kilobytes, recomputed hourly by GitHub; grows with the history here.
    size: 40 + repo.commits.length * 12,
    default_branch: repo.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: iso(pushed),
    created_at: iso(created),
    updated_at: iso(pushed),
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    allow_forking: false,
    web_commit_signoff_required: false,
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
  };
}

/** GET /repos/{owner}/{repo}'s answer (`full-repository`). */
export function fullRepositoryJson(api: string, repo: SimRepository) {
  const base = repositoryJson(api, repo);
  return {
    ...base,
    allow_squash_merge: true,
    allow_merge_commit: true,
    allow_rebase_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: true,
    temp_clone_token: '',
    organization: base.owner,
    network_count: 0,
    subscribers_count: 4,
  };
}

/** The descriptions of GitHub's default labels, and one for the others. */
const LABEL_DESCRIPTIONS: Readonly<Record<string, string>> = {
  bug: "Something isn't working",
  enhancement: 'New feature or request',
  dependencies: 'Pull requests that update a dependency file',
  documentation: 'Improvements or additions to documentation',
};

function labelJson(api: string, repo: SimRepository, name: string) {
  const id = idOf(`label:${repo.fullName}:${name}`);
  return {
    id,
    node_id: nodeId('Label', id),
    url: `${api}/repos/${repo.fullName}/labels/${encodeURIComponent(name)}`,
    name,
    description: LABEL_DESCRIPTIONS[name] ?? `Changes of the kind "${name}"`,
    color: sha(`color:${name}`).slice(0, 6),
    default: name in LABEL_DESCRIPTIONS,
  };
}

/** A merged pull request as lists give it (`pull-request-simple`). */
export function pullRequestJson(api: string, repo: SimRepository, pr: SimPullRequest) {
  const [owner = ''] = repo.fullName.split('/');
  const id = idOf(`pr:${repo.fullName}#${pr.number}`);
  const url = `${api}/repos/${repo.fullName}/pulls/${pr.number}`;
  const html = `https://github.com/${repo.fullName}/pull/${pr.number}`;
  const issue = `${api}/repos/${repo.fullName}/issues/${pr.number}`;
  const head = sha(`${repo.fullName}#${pr.number}@head`);
  const repository = repositoryJson(api, repo);
  const side = (ref: string, at: string) => ({
    label: `${owner}:${ref}`,
    ref,
    sha: at,
    user: repository.owner,
    repo: repository,
  });
  const mergeIndex = repo.commits.findIndex((c) => c.oid === pr.mergeCommit);
  const baseSha = repo.commits[Math.max(0, mergeIndex - 1)]?.oid ?? sha(`${repo.fullName}@root`);
  // Opened a few hours before it was merged, and closed by the merge.
  const opened = new Date(pr.mergedAt.getTime() - 3 * 3_600_000);
  return {
    url,
    id,
    node_id: nodeId('PullRequest', id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issue,
    commits_url: `${url}/commits`,
    review_comments_url: `${url}/comments`,
    review_comment_url: `${api}/repos/${repo.fullName}/pulls/comments{/number}`,
    comments_url: `${issue}/comments`,
    statuses_url: `${api}/repos/${repo.fullName}/statuses/${head}`,
    number: pr.number,
    state: 'closed',
    locked: false,
    title: pr.title,
    user: simpleUser(api, pr.author),
    body: pr.body,
    labels: pr.labels.map((name) => labelJson(api, repo, name)),
    milestone: null,
    active_lock_reason: null,
    created_at: iso(opened),
    updated_at: iso(pr.mergedAt),
    closed_at: iso(pr.mergedAt),
    merged_at: iso(pr.mergedAt),
    merge_commit_sha: pr.mergeCommit,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: side(pr.branch, head),
    base: side(pr.base, baseSha),
    _links: {
      self: { href: url },
      html: { href: html },
      issue: { href: issue },
      comments: { href: `${issue}/comments` },
      review_comments: { href: `${url}/comments` },
      review_comment: { href: `${api}/repos/${repo.fullName}/pulls/comments{/number}` },
      commits: { href: `${url}/commits` },
      statuses: { href: `${api}/repos/${repo.fullName}/statuses/${head}` },
    },
    author_association: 'MEMBER',
    auto_merge: null,
    draft: false,
  };
}

/** A commit of a list (`commit`), as GitHub writes one merged on github.com. */
export function commitJson(api: string, repo: SimRepository, commit: SimCommit) {
  const index = repo.commits.indexOf(commit);
  const parent = index > 0 ? repo.commits[index - 1] : undefined;
  const pr = commit.pr === null ? undefined : repo.pullRequests.find((p) => p.number === commit.pr);
  const url = `${api}/repos/${repo.fullName}/commits/${commit.oid}`;
  const tree = sha(`${commit.oid}^{tree}`);
  const date = iso(commit.date);
  const author = pr ? pr.author : undefined;
  return {
    sha: commit.oid,
    node_id: nodeId('Commit', `${idOf(`repo:${repo.fullName.toLowerCase()}`)}:${commit.oid}`),
    commit: {
      author: {
        name: author ?? 'Platform Bot',
        email: author
          ? `${idOf(`user:${author}`)}+${author}@users.noreply.github.com`
          : 'platform@example.com',
        date,
      },
      committer: pr
        ? { name: 'GitHub', email: 'noreply@github.com', date }
        : { name: 'Platform Bot', email: 'platform@example.com', date },
      message: commit.message,
      tree: { sha: tree, url: `${api}/repos/${repo.fullName}/git/trees/${tree}` },
      url: `${api}/repos/${repo.fullName}/git/commits/${commit.oid}`,
      comment_count: 0,
      verification: pr
        ? {
            verified: true,
            reason: 'valid',
            signature: '-----BEGIN PGP SIGNATURE-----\n\nwsFcBAABCAAQBQJ…\n-----END PGP SIGNATURE-----\n',
            payload: `tree ${tree}\n`,
            verified_at: date,
          }
        : { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url,
    html_url: `https://github.com/${repo.fullName}/commit/${commit.oid}`,
    comments_url: `${url}/comments`,
    // An e-mail that belongs to no GitHub account gives no user (null).
    author: author ? simpleUser(api, author) : null,
    committer: pr ? webFlow(api) : null,
    parents: parent
      ? [
          {
            sha: parent.oid,
            url: `${api}/repos/${repo.fullName}/commits/${parent.oid}`,
            html_url: `https://github.com/${repo.fullName}/commit/${parent.oid}`,
          },
        ]
      : [],
  };
}

/** A changed file of a pull request (`diff-entry`). */
export function diffEntryJson(api: string, repo: SimRepository, pr: SimPullRequest, filename: string) {
  const head = sha(`${repo.fullName}#${pr.number}@head`);
  const additions = 1 + (Number.parseInt(sha(`${pr.number}:${filename}`).slice(0, 4), 16) % 80);
  const deletions = Number.parseInt(sha(`${filename}:${pr.number}`).slice(0, 4), 16) % 20;
  const path = filename.split('/').map(encodeURIComponent).join('/');
  return {
    sha: sha(`${head}:${filename}`),
    filename,
    status: 'modified',
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: `https://github.com/${repo.fullName}/blob/${head}/${path}`,
    raw_url: `https://github.com/${repo.fullName}/raw/${head}/${path}`,
    contents_url: `${api}/repos/${repo.fullName}/contents/${path}?ref=${head}`,
  };
}

/**
 * A comment on an issue or pull request (`issue-comment`), by the token's owner. A pull request's
 * comments live at its /pull/ page, with the #issuecomment-<id> anchor GitHub links them by.
 */
export function issueCommentJson(api: string, repo: SimRepository, comment: SimIssueComment) {
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url: `${api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `https://github.com/${repo.fullName}/pull/${comment.issue}#issuecomment-${comment.id}`,
    body: comment.body,
    user: simpleUser(api, comment.author, { type: comment.author.endsWith('[bot]') ? 'Bot' : 'User' }),
    created_at: iso(comment.createdAt),
    updated_at: iso(comment.createdAt),
    issue_url: `${api}/repos/${repo.fullName}/issues/${comment.issue}`,
    author_association: 'NONE',
    performed_via_github_app: null,
  };
}

/** A release (`release`): published at once, by the token's owner (a GitHub App: a bot). */
export function releaseJson(api: string, repo: SimRepository, release: SimRelease) {
  const url = `${api}/repos/${repo.fullName}/releases/${release.id}`;
  const tag = encodeURIComponent(release.tag);
  return {
    url,
    assets_url: `${url}/assets`,
    upload_url: `https://uploads.github.com/repos/${repo.fullName}/releases/${release.id}/assets{?name,label}`,
    html_url: `https://github.com/${repo.fullName}/releases/tag/${release.tag}`,
    id: release.id,
    author: simpleUser(api, 'dpbot[bot]', { type: 'Bot' }),
    node_id: nodeId('Release', release.id),
    tag_name: release.tag,
    target_commitish: release.target,
    name: release.name,
    draft: false,
    immutable: false,
    prerelease: false,
    // GitHub's created_at is the date of the release's commit, not of the release.
    created_at: iso(release.commitDate),
    updated_at: iso(release.publishedAt),
    published_at: iso(release.publishedAt),
    assets: [],
    tarball_url: `${api}/repos/${repo.fullName}/tarball/${tag}`,
    zipball_url: `${api}/repos/${repo.fullName}/zipball/${tag}`,
    body: release.body,
  };
}

/**
 * GET /rate_limit's answer (`rate-limit-overview`): the simulated window as `core` (and its
 * deprecated copy `rate`) and `graphql`, and GitHub's fixed budgets for the rest, untouched
 * (docs.github.com/rest/rate-limit/rate-limit: search 30 a minute, code search 10 a minute).
 */
export function rateLimitOverviewJson(window: RateLimitInfo, nowMs: number) {
  const fresh = (limit: number, resetSeconds: number) => ({
    limit,
    used: 0,
    remaining: limit,
    reset: Math.ceil(nowMs / 1000) + resetSeconds,
  });
  return {
    resources: {
      core: window,
      search: fresh(30, 60),
      graphql: window,
      integration_manifest: fresh(5000, 3600),
      source_import: fresh(100, 60),
      code_search: fresh(10, 60),
      actions_runner_registration: fresh(10000, 3600),
      scim: fresh(15000, 3600),
      dependency_snapshots: fresh(100, 60),
      code_scanning_autofix: fresh(10, 60),
    },
    rate: window,
  };
}

/**
 * One page of a REST list, `per_page` (at most 100, 30 by default) from `page`, with GitHub's
 * Link header (docs.github.com/rest/using-the-rest-api/using-pagination-in-the-rest-api):
 * prev/next/last/first URLs carrying the request's query. `truncated` leaves the next pages out,
 * as a listing that stops early would.
 */
export function paged(
  api: string,
  req: SimRequest,
  items: readonly unknown[],
  options: { truncated?: boolean } = {},
): SimResponse {
  const perPage = Math.min(100, Math.max(1, Number(req.query.get('per_page') ?? 30) || 30));
  const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const link = (p: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set('per_page', String(perPage));
    q.set('page', String(p));
    return `<${api}${req.path}?${q}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(page - 1, 'prev'));
  if (page < last && !options.truncated) links.push(link(page + 1, 'next'), link(last, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return { body: slice, headers: links.length ? { link: links.join(', ') } : {} };
}
