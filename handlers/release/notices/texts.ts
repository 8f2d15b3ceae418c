import { type AdfDocument, doc, link, paragraph, text } from '../../../integrations/jira/adf.ts';
import { type NoticeFacts, noticeSentence } from '../views/productionNotices.ts';

/**
 * The hidden mark of a notice's GitHub comment. A job cut short between posting and recording
 * looks for it before posting again.
 */
export function noticeMarker(facts: Pick<NoticeFacts, 'kind' | 'releaseId' | 'service'>): string {
  return `<!-- dpbot-notice release=${facts.releaseId} service=${facts.service} kind=${facts.kind} -->`;
}

/** The pull request comment: one sentence, the release message's link when known, the marker. */
export function githubComment(facts: NoticeFacts): string {
  const link = facts.releaseUrl ? ` ([release message](${facts.releaseUrl}))` : '';
  return `${noticeSentence(facts)}${link}.\n\n${noticeMarker(facts)}`;
}

/** The Jira comment, in ADF as the task comments are: text nodes, never markup. */
export function jiraComment(facts: NoticeFacts, fixVersion: string | undefined): AdfDocument {
  return doc(
    paragraph(
      text(`${noticeSentence(facts)}.`),
      text(fixVersion ? ` Fix version ${fixVersion}.` : ''),
      text(facts.releaseUrl ? ' ' : ''),
      ...(facts.releaseUrl ? [link('Release message', facts.releaseUrl)] : []),
    ),
  );
}

/**
 * Slack's permalink of a message: the workspace's address, the channel and the ts without its dot
 * (https://docs.slack.dev/reference/methods/chat.getPermalink shows the form).
 */
export function messageUrl(
  slackUrl: string | undefined,
  channel: string,
  ts: string | null,
): string | undefined {
  if (!slackUrl || !ts || !/^[CGD][A-Z0-9]+$/.test(channel)) return undefined;
  return `${slackUrl.replace(/\/$/, '')}/archives/${channel}/p${ts.replace('.', '')}`;
}
