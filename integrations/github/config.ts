import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** The `github:` section of the configuration: how dpbot reaches GitHub for releases. */
export const githubSchema = z.preprocess(
  // A section left empty (`github:`) takes every default, like one left out.
  (value) => (value === null || value === undefined ? {} : value),
  z.strictObject({
    /** REST base URL (GitHub Enterprise: https://host/api/v3); Octokit derives the GraphQL URL from it. */
    apiUrl: z.url().default('https://api.github.com'),
    /** Requests in flight at once (repositories are read in parallel up to this). */
    concurrency: integer({ min: 1, max: 20 }).default(6),
    /** Longest wait for one request; Octokit itself would wait forever. */
    timeout: duration().prefault('30s'),
    /**
     * Writes spaced as GitHub asks integrations to space them (a second apart, three for those that
     * notify people, such as a comment). Off only in front of a loopback simulator: the tests'.
     */
    spaceWrites: z.boolean().default(true),
  }),
);
export type GitHubConfig = z.output<typeof githubSchema>;
