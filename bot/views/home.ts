import type { HomeView } from '@slack/types';
import type { BlockBuilder } from 'slack-block-builder';
import { Blocks, HomeTab, Md } from 'slack-block-builder';
import { formatTime } from '../../core/time.ts';
import type { AuditRecord } from '../../db/stores/auditStore.ts';
import { describeGrant } from '../../handlers/directory/commands/whoami.ts';
import type { Caller } from '../../pipeline/defineCommand.ts';
import { escapeMrkdwn, lineSections } from '../../pipeline/views/common.ts';

/** App Home: who you are to dpbot, what you may do, what you did lately, and capability panels. */
export function homeView(input: {
  caller: Caller;
  recent: readonly AuditRecord[];
  panels: readonly BlockBuilder[];
  command: string;
}): HomeView {
  const { caller } = input;
  const recent = input.recent.map(
    (r) =>
      `${formatTime(r.at)} · ${Md.codeInline(r.commandText ?? r.command ?? '')} · ${r.kind === 'attempt' ? r.decision : r.outcome}`,
  );
  const grants = caller.grants.map((g) => `• ${describeGrant(g)}`);
  // Home tabs take at most 100 blocks.
  const blocks: BlockBuilder[] = [
    Blocks.Header({ text: 'dpbot' }),
    Blocks.Section({
      text: `You are ${Md.bold(escapeMrkdwn(caller.name ?? caller.email))} <${escapeMrkdwn(caller.email)}>. Groups: ${escapeMrkdwn(caller.groups.join(', ') || 'none')}.`,
    }),
    Blocks.Section({ text: Md.bold('You may') }),
    ...lineSections(grants.length ? grants : ['nothing yet'], 5),
    ...input.panels.slice(0, 60),
    Blocks.Divider(),
    Blocks.Section({ text: Md.bold('Your recent commands') }),
    ...lineSections(recent.length ? recent : ['none yet'], 3),
    Blocks.Context().elements(
      `Type ${Md.codeInline(`${input.command} help`)} in any channel to see what you can run.`,
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
