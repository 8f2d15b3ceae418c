import { Blocks } from 'slack-block-builder';
import { formatTime } from '../../core/time.ts';
import { blocks, type Message } from '../message.ts';
import { codeText, escapeMrkdwn } from './common.ts';

/** Who asked for what, as the approval message keeps saying it once the request is decided. */
export interface ApprovalRequest {
  requester: string;
  requesterSlackId: string | null;
  commandText: string;
  reason: string | null;
}

/** The `--reason` a request was made with, from its arguments as typed. */
export function requestReason(args: unknown): string | null {
  if (args === null || typeof args !== 'object') return null;
  const reason = (args as Record<string, unknown>).reason;
  return typeof reason === 'string' && reason.trim() !== '' ? reason : null;
}

export type ApprovalDecision = 'approved' | 'denied' | 'withdrawn';

const DECIDED: Record<ApprovalDecision, string> = {
  approved: 'Approved',
  denied: 'Denied',
  withdrawn: 'Withdrawn',
};

/**
 * The approval message once decided: the buttons give way to the decision, and the request it
 * decided stays readable (who asked, the command, their reason), since the thread below it holds
 * the result.
 */
export function approvalDecidedMessage(
  request: ApprovalRequest,
  decision: ApprovalDecision,
  by: string,
  at: Date,
): Message {
  const who = request.requesterSlackId ? `<@${request.requesterSlackId}>` : escapeMrkdwn(request.requester);
  const verdict = `${DECIDED[decision]} by ${by} at ${formatTime(at)}`;
  const reason = request.reason ? ` (reason: ${request.reason})` : '';
  const follows = decision === 'approved' ? ' · its result follows in this thread' : '';
  return {
    text: escapeMrkdwn(`${verdict}: ${request.requester} asked to run: ${request.commandText}${reason}`),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: `${who} asked to run ${codeText(request.commandText)}` }),
      request.reason ? Blocks.Section({ text: `Reason: ${escapeMrkdwn(request.reason)}` }) : undefined,
      Blocks.Context().elements(`${escapeMrkdwn(verdict)}${follows}`),
    ),
  };
}

/** What the requester is told, in a direct message, when someone else decides their request. */
export function decisionForRequester(
  request: ApprovalRequest,
  decision: Exclude<ApprovalDecision, 'withdrawn'>,
  by: string,
): Message {
  const then =
    decision === 'approved'
      ? 'it runs now, as you; its result follows in the request’s thread.'
      : 'it will not run.';
  return {
    text: escapeMrkdwn(`Your request ${request.commandText} was ${decision} by ${by}: ${then}`),
    visibility: 'ephemeral',
    blocks: blocks(
      Blocks.Section({
        text: `Your request ${codeText(request.commandText)} was ${decision} by ${escapeMrkdwn(by)}: ${escapeMrkdwn(then)}`,
      }),
    ),
  };
}
