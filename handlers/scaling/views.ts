import { Blocks, Elements, Md, Modal } from 'slack-block-builder';
import { blocks, type Message } from '../../pipeline/message.ts';
import { withMentions } from '../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  noticeMessage,
  RUN_ACTION,
  SECTION_TEXT_LIMIT,
} from '../../pipeline/views/common.ts';
import { commandModal, MODAL_INPUT } from '../../pipeline/views/modal.ts';
import type { TargetConfig, TeamConfig } from './config.ts';
import type { Announcement } from './messages.ts';
import type { ScaleRevert } from './stores/scaleStore.ts';

export function announcementMessage(a: Announcement): Message {
  const by = a.by ? `${a.by} ` : '';
  const body = withMentions(
    [Md.bold(by + escapeMrkdwn(a.headline)), ...a.lines.map((l) => escapeMrkdwn(l))].join('\n'),
  );
  return {
    text: withMentions(by + escapeMrkdwn([a.headline, ...a.lines, a.status].filter(Boolean).join('\n'))),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: body.slice(0, 2900) }),
      a.status ? Blocks.Context().elements(escapeMrkdwn(a.status).slice(0, 2000)) : undefined,
    ),
  };
}

/** The App Home's worker panel: one line per target, already as mrkdwn. */
export function workersPanel(lines: readonly string[]) {
  return [Blocks.Divider(), Blocks.Section({ text: Md.bold('Workers') }), ...lineSections(lines, 2)];
}

/** A worker line of the App Home panel: desired and ready, or that the cluster did not answer. */
export function workersPanelLine(
  name: string,
  state: { replicas: number; ready: number | null } | null,
): string {
  return state === null
    ? `• ${codeText(name)}: the cluster did not answer`
    : `• ${codeText(name)}: ${state.replicas} desired, ${state.ready ?? '?'} ready`;
}

/** The form for the count, when the command came without one (Slack only). */
export function scaleModal(
  team: TeamConfig,
  target: TargetConfig,
  targetLabel: string,
  channel: string | null,
) {
  return commandModal(
    Modal({ title: `Scale ${team.name}`.slice(0, 24), submit: 'Scale', close: 'Cancel' }).blocks(
      Blocks.Input({
        label: `Workers for ${targetLabel} (${team.minReplicas}–${team.maxReplicas})`,
        blockId: 'replicas',
      }).element(
        Elements.NumberInput({ actionId: MODAL_INPUT }).minValue(team.minReplicas).maxValue(team.maxReplicas),
      ),
      Blocks.Input({ label: 'For how long (empty: until changed)', blockId: 'for' })
        .optional()
        .element(Elements.TextInput({ actionId: MODAL_INPUT, placeholder: '2h' })),
      Blocks.Input({ label: 'Why', blockId: 'reason' })
        .optional()
        .element(Elements.TextInput({ actionId: MODAL_INPUT, placeholder: 'backfill lag' })),
    ),
    { prefix: `scale ${team.name} --target ${target.name}`, channel },
  );
}

/** `scale` to the count a target already has. */
export function unchangedMessage(what: string, to: number): Message {
  return noticeMessage(`${what} is already at ${to}; nothing changed.`);
}

const TARGETS_WITH_BUTTONS = 10;
/**
 * Sections of target lines per team: one team may fill most of a message (50 blocks); among
 * several (up to 12, each a section, a note and buttons) each gets one and `workers <team>`
 * shows the rest.
 */
const SECTIONS_ONE_TEAM = 30;
const SECTIONS_PER_TEAM = 1;

/** One target of `workers`: its lines, and its pending revert if it has one. */
export interface TargetView {
  target: TargetConfig;
  lines: string[];
  pending: ScaleRevert | undefined;
}

/** The targets whose lines fit in `sections` sections, whole; the rest are counted instead. */
function targetsWithin(targets: readonly TargetView[], sections: number): number {
  let used = 1;
  let length = 0;
  for (const [i, t] of targets.entries()) {
    for (const raw of t.lines) {
      const line = Math.min(raw.length, SECTION_TEXT_LIMIT);
      if (length > 0 && length + line + 1 > SECTION_TEXT_LIMIT) {
        used += 1;
        length = 0;
      }
      length += (length > 0 ? 1 : 0) + line;
    }
    if (used > sections) return i;
  }
  return targets.length;
}

export function noTeamsMessage(): Message {
  return {
    text: 'No teams are configured.',
    blocks: blocks(Blocks.Section({ text: 'No teams are configured.' })),
  };
}

/** `workers`: each team shown with its targets, and Scale / Revert buttons where the caller may scale. */
export function workersMessage(
  views: readonly { team: TeamConfig; targets: readonly TargetView[]; mayScale: boolean }[],
  hiddenTeams: number,
): Message {
  const text: string[] = [];
  const built = [];
  const sectionsEach = views.length === 1 ? SECTIONS_ONE_TEAM : SECTIONS_PER_TEAM;
  for (const { team, targets, mayScale } of views) {
    const bounds = `${team.minReplicas}–${team.maxReplicas} workers${team.confirmAbove !== undefined ? `, confirm above ${team.confirmAbove}` : ''}`;
    const title = `${team.name} (${bounds})${team.description ? `: ${team.description}` : ''}`;
    // The title shares the first section with the first lines.
    const fit = targetsWithin(targets, sectionsEach);
    const listed = targets.slice(0, fit);
    const lines = listed.flatMap((t) => t.lines);
    const hidden = targets.length - listed.length;
    const pendingHidden = targets.slice(fit).filter((t) => t.pending).length;
    const more =
      hidden > 0
        ? `and ${hidden} more target(s)${pendingHidden ? `, ${pendingHidden} with a pending revert` : ''}${
            views.length > 1 ? `: workers ${team.name}` : ''
          }`
        : undefined;
    text.push(title, ...lines, ...(more ? [more] : []));
    built.push(
      ...lineSections(
        [Md.bold(escapeMrkdwn(title)), ...lines.map((l) => withMentions(escapeMrkdwn(l)))],
        sectionsEach,
      ),
    );
    const notes: string[] = [];
    if (more)
      notes.push(
        views.length > 1
          ? `${escapeMrkdwn(more.slice(0, more.lastIndexOf(':')))}: ${codeText(`workers ${team.name}`)}`
          : escapeMrkdwn(more),
      );
    const withButtons = mayScale ? targets.slice(0, TARGETS_WITH_BUTTONS) : [];
    if (mayScale && targets.length > withButtons.length) {
      const rest = targets.length - withButtons.length;
      text.push(
        `Buttons for the first ${withButtons.length} targets; for the other ${rest}: scale ${team.name} --target <name> <workers>, or --revert`,
      );
      notes.push(
        `Buttons for the first ${withButtons.length} targets; for the other ${rest}: ${codeText(`scale ${team.name} --target <name> <workers>`)} (or ${codeText('--revert')})`,
      );
    }
    if (notes.length) built.push(Blocks.Context().elements(notes.join(' · ')));
    const buttons = withButtons.flatMap((t) => {
      const base = `scale ${team.name} --target ${t.target.name}`;
      return [
        Elements.Button({
          text: `Scale ${t.target.name}…`.slice(0, 75),
          actionId: RUN_ACTION,
          value: base,
        }),
        ...(t.pending
          ? [
              Elements.Button({
                text: `Revert ${t.target.name} now`.slice(0, 75),
                actionId: RUN_ACTION,
                value: `${base} --revert`,
              }),
            ]
          : []),
      ];
    });
    if (buttons.length) built.push(Blocks.Actions().elements(...buttons));
  }
  if (hiddenTeams > 0) {
    const more = `${hiddenTeams} more team(s); name one: workers <team>`;
    text.push(more);
    built.push(Blocks.Context().elements(more));
  }
  // Escaped whole: with a mention in it, Slack reads the fallback as mrkdwn.
  return { text: withMentions(escapeMrkdwn(text.join('\n'))), blocks: blocks(...built) };
}
