/**
 * Every GraphQL query dpbot sends to GitHub, each an exported constant so that they can be checked
 * against GitHub's schema in one place. Every operation is named Dpbot…, which is how GitHub's
 * audit logs and the simulator in sandbox/github tell them apart.
 */

/**
 * Pull requests merged into a branch since a moment (search), with the branch head on the first page.
 * Paged by hand, not by graphql.paginate: after a 502 it asks for the same page again with a smaller
 * `$first`, and only the first page asks for the head (`$withHead`), while the plugin sends every
 * page with the variables it was started with, changing only the cursor.
 */
export const MERGED_PULL_REQUESTS_QUERY = `query DpbotMergedPullRequests($owner: String!, $name: String!, $ref: String!, $q: String!, $first: Int!, $after: String, $withHead: Boolean!) {
  repository(owner: $owner, name: $name) @include(if: $withHead) {
    ref(qualifiedName: $ref) { target { oid ... on Commit { committedDate } } }
  }
  search(type: ISSUE, query: $q, first: $first, after: $after) {
    issueCount
    pageInfo { hasNextPage endCursor }
    nodes {
      ... on PullRequest {
        number title body url mergedAt headRefName
        author { login }
        mergeCommit { oid }
        labels(first: 30) { nodes { name } }
        files(first: 100) { totalCount pageInfo { endCursor } nodes { path } }
      }
    }
  }
}`;

/** The next page of a pull request's changed files. */
export const PULL_REQUEST_FILES_QUERY = `query DpbotPullRequestFiles($owner: String!, $name: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      files(first: 100, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { path } }
    }
  }
}`;

/** The commit a sha, tag or branch names. */
export const RESOLVE_COMMIT_QUERY = `query DpbotResolveCommit($owner: String!, $name: String!, $expression: String!) {
  repository(owner: $owner, name: $name) {
    object(expression: $expression) { ... on Commit { oid committedDate } }
  }
}`;

/** How many teams an organization has and how many members each (child teams included). */
export const TEAM_MEMBER_COUNTS_QUERY = `query DpbotTeamMemberCounts($org: String!, $cursor: String) {
  organization(login: $org) {
    teams(first: 100, after: $cursor) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { slug members(membership: ALL) { totalCount } }
    }
  }
}`;

/** An organization's members with their e-mails on its verified domains. */
export const ORG_MEMBER_EMAILS_QUERY = `query DpbotOrgMemberEmails($org: String!, $cursor: String) {
  organization(login: $org) {
    membersWithRole(first: 100, after: $cursor) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { login name organizationVerifiedDomainEmails(login: $org) }
    }
  }
}`;
