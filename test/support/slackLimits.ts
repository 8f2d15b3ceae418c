import { afterEach, expect } from 'vitest';
import { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';

// Every test that makes dpbot talk to the Slack simulator has its payloads held to Slack's
// documented Block Kit limits; one broken limit fails the test that caused it.
afterEach(() => {
  expect(SlackSimulator.takeLimitViolations(), 'payloads that break Slack limits').toEqual([]);
});
