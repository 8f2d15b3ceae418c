import { Blocks, Elements, Md, type SectionBuilder } from 'slack-block-builder';
import { clipText } from '../../core/text.ts';
import { blocks, type Message } from '../message.ts';

/** Text safe to put inside mrkdwn: Slack reads &, < and > as markup. */
export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Text shown as inline code, escaped for mrkdwn. A code span cannot hold a backtick or a line
 * break (Slack ends it there and shows the rest with stray backticks), so such text — a command
 * someone typed — is quoted instead; empty text is shown as nothing rather than as "``".
 */
export function codeText(text: string): string {
  if (text === '') return '';
  if (/[`\n]/.test(text)) return `"${escapeMrkdwn(text)}"`;
  return Md.codeInline(escapeMrkdwn(text));
}

export function noticeMessage(text: string, visibility: Message['visibility'] = 'ephemeral'): Message {
  return {
    text: escapeMrkdwn(text),
    visibility,
    blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })),
  };
}

export function invalidMessage(problem: string, usage?: string): Message {
  const lines = [`${Md.bold('Not run')}: ${escapeMrkdwn(problem)}`];
  if (usage) lines.push(`Usage: ${codeText(usage)}`);
  return {
    text: escapeMrkdwn(usage ? `Not run: ${problem}\nUsage: ${usage}` : `Not run: ${problem}`),
    visibility: 'ephemeral',
    blocks: blocks(Blocks.Section({ text: lines.join('\n') })),
  };
}

export function deniedMessage(reason: string): Message {
  return {
    text: escapeMrkdwn(`Not allowed: ${reason}`),
    visibility: 'ephemeral',
    blocks: blocks(Blocks.Section({ text: `${Md.bold('Not allowed')}: ${escapeMrkdwn(reason)}` })),
  };
}

/** Said when an audit row cannot be written, so nothing was done (dpbot does nothing unrecorded). */
export function auditUnavailableMessage(): Message {
  return failedMessage(
    'not run: the audit log cannot be written right now, and dpbot does nothing it cannot record. Try again in a minute; if it persists, tell the dpbot administrators.',
  );
}

export function failedMessage(text: string): Message {
  return {
    text: escapeMrkdwn(`Failed: ${text}`),
    visibility: 'ephemeral',
    blocks: blocks(Blocks.Section({ text: `${Md.bold('Failed')}: ${escapeMrkdwn(text)}` })),
  };
}

/**
 * A deliberate refusal that is neither a denial nor a breakdown (there is no such run; another
 * change to this team is under way): "Failed" would send the reader looking for an outage.
 */
export function notDoneMessage(text: string): Message {
  return {
    text: escapeMrkdwn(`Not done: ${text}`),
    visibility: 'ephemeral',
    blocks: blocks(Blocks.Section({ text: `${Md.bold('Not done')}: ${escapeMrkdwn(text)}` })),
  };
}

export const CONFIRM_ACTION = 'dp.confirm';
export const CANCEL_ACTION = 'dp.cancel';
export const APPROVE_ACTION = 'dp.approve';
export const DENY_ACTION = 'dp.deny';
/** Runs its value as a command, as the clicker; once per button (a second click is told who did it). */
export const RUN_ACTION = 'dp.run';
/** Runs its value as a command, as the clicker, as often as pressed: for pages, refresh, details. */
export const VIEW_ACTION = 'dp.view';
/**
 * Previous / Next of a paged list: runs its command like VIEW_ACTION, and the answer replaces the
 * message the button sat on, so a listing stays one message however many pages are turned.
 */
export const PAGE_ACTION = 'dp.page';

export function confirmationMessage(input: {
  pendingId: string;
  summary: string;
  details: readonly string[];
  commandText: string;
  expiresAt: Date;
  /** Red Confirm for a change that takes something away; green for one that adds. */
  destructive?: boolean;
}): Message {
  const confirm = Elements.Button({ text: 'Confirm', actionId: CONFIRM_ACTION, value: input.pendingId });
  const details = input.details.length
    ? `\n${input.details.map((d) => `• ${escapeMrkdwn(d)}`).join('\n')}`
    : '';
  return {
    text: escapeMrkdwn(`Confirm: ${input.summary}`),
    visibility: 'ephemeral',
    blocks: blocks(
      Blocks.Section({ text: `${Md.bold('Please confirm')}: ${escapeMrkdwn(input.summary)}${details}` }),
      Blocks.Context().elements(
        `${codeText(input.commandText)} · expires ${Md.italic(input.expiresAt.toISOString().slice(11, 16))} UTC`,
      ),
      Blocks.Actions().elements(
        input.destructive === false ? confirm.primary() : confirm.danger(),
        Elements.Button({ text: 'Cancel', actionId: CANCEL_ACTION, value: input.pendingId }),
      ),
    ),
  };
}

export function approvalMessage(input: {
  pendingId: string;
  requester: string;
  requesterSlackId: string | null;
  commandText: string;
  /** The requester's `--reason`, shown with the request. */
  reason?: string | null;
  approverGroup: string;
  count: number;
  expiresAt: Date;
}): Message {
  const who = input.requesterSlackId ? `<@${input.requesterSlackId}>` : escapeMrkdwn(input.requester);
  const needed = `${input.count} member${input.count > 1 ? 's' : ''} of ${escapeMrkdwn(input.approverGroup)}`;
  return {
    text: escapeMrkdwn(
      `${input.requester} asks to run: ${input.commandText} (needs approval by ${input.count} of ${input.approverGroup})`,
    ),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: `${who} asks to run ${codeText(input.commandText)}` }),
      input.reason ? Blocks.Section({ text: `Reason: ${escapeMrkdwn(input.reason)}` }) : undefined,
      Blocks.Context().elements(
        `Needs approval by ${needed}, not the requester · expires ${input.expiresAt.toISOString().slice(11, 16)} UTC`,
      ),
      Blocks.Actions().elements(
        Elements.Button({ text: 'Approve', actionId: APPROVE_ACTION, value: input.pendingId }).primary(),
        Elements.Button({ text: 'Deny', actionId: DENY_ACTION, value: input.pendingId }).danger(),
      ),
    ),
  };
}

/** Slack caps a section's text at 3,000 characters; lists are split across sections below it. */
export const SECTION_TEXT_LIMIT = 2900;

export function lineSections(lines: readonly string[], maxSections = 10): SectionBuilder[] {
  const sections: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = clipText(raw, SECTION_TEXT_LIMIT);
    if (current && current.length + line.length + 1 > SECTION_TEXT_LIMIT) {
      sections.push(current);
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) sections.push(current);
  const shown = sections.slice(0, maxSections).map((text) => Blocks.Section({ text }));
  if (sections.length > maxSections) shown.push(Blocks.Section({ text: '_(list cut short)_' }));
  return shown;
}
