import type { HomeView } from '@slack/types';
import type { BlockBuilder } from 'slack-block-builder';
import { Blocks, HomeTab, Md } from 'slack-block-builder';
import { joinWithin } from '../../core/text.ts';
import { formatTime } from '../../core/time.ts';
import type { AuditRecord } from '../../db/stores/auditStore.ts';
import { describeGrant } from '../../handlers/directory/index.ts';
import type { Caller } from '../../pipeline/defineCommand.ts';
import { nameWithEmail, stateText } from '../../pipeline/people.ts';
import { codeText, escapeMrkdwn, lineSections } from '../../pipeline/views/common.ts';

/** Grants listed on the Home tab; `whoami` lists them all, a page at a time. */
const GRANTS_SHOWN = 15;
/** Room for the groups in the identity section, beside the name and e-mail. */
const GROUPS_TEXT = 2_000;

/** A command's text can be 4,000 characters; ten of them must fit the recent-commands list. */
const COMMAND_SHOWN = 150;
const shorten = (text: string) =>
  text.length > COMMAND_SHOWN ? `${text.slice(0, COMMAND_SHOWN - 1)}…` : text;

/** What became of a command, in words, from the outcome rows written after its attempt. */
const OUTCOME_WORDS: Readonly<Record<string, string>> = {
  ok: 'done',
  rejected: 'refused',
  invalid: 'refused',
  unknown_resource: 'refused',
  denied: 'refused',
  duplicate: 'already done',
  cancelled: 'cancelled',
  expired: 'expired',
  not_found: 'not done',
  conflict: 'not done',
  error: 'failed',
  form_opened: 'form opened',
  confirmation_requested: 'waiting for your confirmation',
  approval_requested: 'waiting for approval',
};

/**
 * A command's state for its author: the newest outcome (or a step that leaves it waiting) among
 * its request's rows; without any, what the attempt row says (a refusal there, else running).
 * The attempt's own decision is not the answer: an allowed scale may still have been refused.
 */
export function commandState(attempt: AuditRecord, later: readonly AuditRecord[]): string {
  const rows = [...later].filter((r) => r.id > attempt.id).sort((a, b) => b.id - a.id);
  const outcome = rows.find((r) => r.kind === 'outcome');
  // A command that only opened its form ended well, but nothing was done yet.
  if (outcome?.outcome === 'ok' && rows.some((r) => r.outcome === 'form_opened')) return 'form opened';
  if (outcome) return OUTCOME_WORDS[outcome.outcome ?? ''] ?? stateText(outcome.outcome ?? 'done');
  const waiting = rows.find((r) => r.kind === 'step' && r.outcome && OUTCOME_WORDS[r.outcome]);
  if (waiting?.outcome) {
    // Confirmed or approved since: the question no longer waits.
    const answered = rows.find(
      (r) =>
        r.kind === 'step' && r.id > waiting.id && (r.outcome === 'confirmed' || r.outcome === 'approved'),
    );
    return answered ? 'running' : (OUTCOME_WORDS[waiting.outcome] ?? stateText(waiting.outcome));
  }
  if (attempt.outcome) return OUTCOME_WORDS[attempt.outcome] ?? stateText(attempt.outcome);
  if (attempt.decision === 'deny' || attempt.decision === 'invalid') return 'refused';
  return 'running';
}

/** App Home: who you are to dpbot, what you may do, what you did lately, and capability panels. */
export function homeView(input: {
  caller: Caller;
  recent: readonly AuditRecord[];
  /** The rows written after each recent attempt, by request id: how each ended. */
  followUps: ReadonlyMap<string, readonly AuditRecord[]>;
  panels: readonly BlockBuilder[];
  command: string;
}): HomeView {
  const { caller } = input;
  const recent = input.recent.map(
    (r) =>
      `${formatTime(r.at)} · ${codeText(shorten(r.commandText ?? r.command ?? ''))} · ${commandState(r, input.followUps.get(r.requestId) ?? [])}`,
  );
  const grants = caller.grants.slice(0, GRANTS_SHOWN).map((g) => `• ${describeGrant(g)}`);
  const moreGrants = caller.grants.length - grants.length;
  const groups = joinWithin(caller.groups.map(escapeMrkdwn), GROUPS_TEXT);
  const whoami = codeText(`${input.command} whoami`);
  const groupsText = caller.groups.length
    ? `${groups.text}${groups.left > 0 ? ` and ${groups.left} more (${whoami} lists them)` : ''}`
    : 'none';
  // Home tabs take at most 100 blocks.
  const blocks: BlockBuilder[] = [
    Blocks.Header({ text: 'dpbot' }),
    Blocks.Section({
      text: `You are ${Md.bold(escapeMrkdwn(nameWithEmail(caller)))}. Groups: ${groupsText}.`,
    }),
    Blocks.Section({ text: Md.bold('You may') }),
    ...lineSections(grants.length ? grants : ['nothing yet'], 5),
    ...(moreGrants > 0
      ? [Blocks.Context().elements(`and ${moreGrants} more grant(s): ${whoami} lists them all`)]
      : []),
    ...input.panels.slice(0, 60),
    Blocks.Divider(),
    Blocks.Section({ text: Md.bold('Your recent commands') }),
    ...lineSections(recent.length ? recent : ['none yet'], 3),
    Blocks.Context().elements(
      `Type ${codeText(`${input.command} help`)} in any channel to see what you can run.`,
    ),
  ];
  return HomeTab()
    .blocks(...blocks.slice(0, 100))
    .buildToObject() as unknown as HomeView;
}

export function strangerHomeView(reason: string): HomeView {
  return HomeTab()
    .blocks(Blocks.Header({ text: 'dpbot' }), Blocks.Section({ text: escapeMrkdwn(reason) }))
    .buildToObject() as unknown as HomeView;
}
