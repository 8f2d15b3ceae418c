import type { Message } from '../../../pipeline/message.ts';
import { escapeMrkdwn } from '../../../pipeline/views/common.ts';

/** What a production notice says, wherever it goes. */
export interface NoticeFacts {
  kind: 'running' | 'rolled_back';
  releaseId: number;
  service: string;
  /** When the service turned healthy, or was rolled back. */
  at: string;
  /** The release message in Slack, when the workspace's address is configured. */
  releaseUrl: string | undefined;
}

export function noticeSentence(facts: NoticeFacts): string {
  return facts.kind === 'running'
    ? `Running in production since ${facts.at}, release #${facts.releaseId}, service ${facts.service}`
    : `Rolled back at ${facts.at}: release #${facts.releaseId} of service ${facts.service} no longer runs in production`;
}

/** The direct message to a pull request's author. */
export function authorNoticeMessage(
  facts: NoticeFacts,
  prs: readonly { url: string; number: number; title: string }[],
): Message {
  const list = prs.map((p) => `• <${p.url}|#${p.number}> ${escapeMrkdwn(p.title)}`);
  const link = facts.releaseUrl ? ` (<${facts.releaseUrl}|release message>)` : '';
  const head =
    facts.kind === 'running'
      ? `Your pull request(s) of ${escapeMrkdwn(facts.service)} are running in production since ${facts.at}, release #${facts.releaseId}${link}:`
      : `Your pull request(s) of ${escapeMrkdwn(facts.service)} were rolled back at ${facts.at} (release #${facts.releaseId}${link}):`;
  return {
    text: [head, ...list, '"notices off" stops these messages.'].join('\n'),
    visibility: 'in_channel',
  };
}

/** The direct message to a subscriber whose service was rolled back. */
export function subscriberRollbackMessage(facts: NoticeFacts): Message {
  const link = facts.releaseUrl ? ` (<${facts.releaseUrl}|release message>)` : '';
  return {
    text: `${escapeMrkdwn(noticeSentence(facts))}${link}. "unsubscribe ${escapeMrkdwn(facts.service)}" stops these messages.`,
    visibility: 'in_channel',
  };
}
