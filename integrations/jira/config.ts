import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';

/** The `jira` section: the Jira site tasks (tickets, comments) and releases (fix versions) talk to. */
export const jiraSchema = z.strictObject({
  /** Jira site URL (https://example.atlassian.net); unset: no Jira tickets or comments. */
  url: z.url().optional(),
  /** The account JIRA_API_TOKEN belongs to (basic auth); unset: the token is sent as a bearer token. */
  email: z.email().optional(),
  timeout: duration().prefault('10s'),
});

export type JiraConfig = z.output<typeof jiraSchema>;
