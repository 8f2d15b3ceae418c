import { Blocks, Elements, Md } from 'slack-block-builder';
import { z } from 'zod';
import { errorMessage } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { describeRef, workloadRef } from '../../../integrations/kubernetes/kubernetes.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { blocks, type Message } from '../../../pipeline/message.ts';
import { personToken, withMentions } from '../../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  RUN_ACTION,
  SECTION_TEXT_LIMIT,
} from '../../../pipeline/views/common.ts';
import type { TargetConfig, TeamConfig } from '../config.ts';
import { TEAM_NAME } from '../config.ts';
import { defineCommand, type ScalingDeps } from '../deps.ts';
import { podsLine } from '../messages.ts';
import { argoAppOf } from '../plan.ts';
import type { ScaleChangeRecord, ScaleRevert } from '../stores/scaleStore.ts';
import { findTeam, requireKubernetes, teamNamed } from '../teams.ts';

const TEAMS_SHOWN = 12;
const TARGETS_WITH_BUTTONS = 10;
/**
 * Sections of target lines per team: one team may fill most of a message (50 blocks); among
 * several (up to 12, each a section, a note and buttons) each gets one and `workers <team>`
 * shows the rest.
 */
const SECTIONS_ONE_TEAM = 30;
const SECTIONS_PER_TEAM = 1;

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

interface TargetView {
  target: TargetConfig;
  lines: string[];
  pending: ScaleRevert | undefined;
}

function changeLine(change: ScaleChangeRecord): string {
  const d = change.detail;
  const by = change.email
    ? personToken({ email: change.email, slackUserId: change.slackUserId })
    : change.entry === 'system'
      ? 'dpbot, scheduled revert'
      : 'dpbot';
  const what = d.mode === 'hpaMinReplicas' ? 'HPA minimum ' : '';
  return `Last change: ${what}${d.from} → ${d.to} by ${by} at ${formatTime(change.at)}${d.reason ? ` — "${d.reason}"` : ''}${d.revertAt ? ` (until ${formatTime(new Date(d.revertAt))})` : ''}`;
}

async function viewTarget(
  ctx: CommandContext<ScalingDeps>,
  team: TeamConfig,
  target: TargetConfig,
  changes: ScaleChangeRecord[],
  pending: ScaleRevert[],
): Promise<TargetView> {
  const k8s = requireKubernetes(ctx.deps);
  const ref = workloadRef(target);
  const lines: string[] = [];
  try {
    const state = await k8s.read(ref);
    const hpa = await k8s.hpaFor(ref);
    const ready =
      state.ready === null ? 'readiness not tracked' : podsLine(state.replicas, state.ready, state.current);
    lines.push(`${target.name}: ${state.replicas} desired, ${ready} — ${describeRef(ref)} on ${ref.cluster}`);
    if (hpa)
      lines.push(
        `  HPA ${hpa.name}: min ${hpa.minReplicas}, max ${hpa.maxReplicas}${hpa.desiredReplicas !== null ? `, wants ${hpa.desiredReplicas}` : ''} (direct changes are undone; use --hpa-min)`,
      );
    const app = argoAppOf(state.labels, state.annotations);
    if (app) lines.push(`  Tracked by the Argo CD application ${app}`);
  } catch (error) {
    lines.push(`${target.name}: cannot read it — ${errorMessage(error)}`);
  }
  const last = changes.find((c) => c.detail.target === target.name);
  lines.push(last ? `  ${changeLine(last)}` : '  No change through dpbot yet.');
  const waiting = pending.find((p) => p.team === team.name && p.target === target.name);
  if (waiting)
    lines.push(
      `  Pending revert: back to ${waiting.fromReplicas}${waiting.mode === 'hpaMinReplicas' ? ' (HPA minimum)' : ''} at ${formatTime(waiting.dueAt)} (temporary change by ${personToken({ email: waiting.requestedBy, slackUserId: waiting.requestedBySlackId })})`,
    );
  return { target, lines, pending: waiting };
}

export const workers = defineCommand({
  name: 'workers',
  summary: 'Show worker counts: desired and ready, HPA, the last change and pending reverts',
  usage: 'workers [team]',
  examples: ['workers', 'workers team-x'],
  description:
    'Without a team, lists every team you may read. Buttons to scale appear only for teams you may scale.',
  params: { positionals: ['team'] },
  args: z.object({
    team: z.string().regex(TEAM_NAME, { error: 'expected a team name such as team-x' }).optional(),
  }),
  action: 'workers.read',
  resourceKinds: ['team'],
  resource: (a) => `team:${a.team ?? '*'}`,
  names: (a, ctx) => (a.team ? [teamNamed(ctx.deps.config, a.team)] : []),
  run: async (args, ctx): Promise<Message> => {
    const { config } = ctx.deps;
    const teams = args.team
      ? [findTeam(config, args.team, 'workers [team]')]
      : config.teams.filter((t) => ctx.may('workers.read', `team:${t.name}`));
    if (teams.length === 0)
      return {
        text: 'No teams are configured.',
        blocks: blocks(Blocks.Section({ text: 'No teams are configured.' })),
      };
    const shown = teams.slice(0, TEAMS_SHOWN);
    const pending = await ctx.deps.scaling.pendingReverts();
    const views = await Promise.all(
      shown.map(async (team) => {
        const changes = await ctx.deps.scaling.lastChanges(team.name, 50);
        const targets = await Promise.all(
          team.targets.map((t) => viewTarget(ctx, team, t, changes, pending)),
        );
        return { team, targets };
      }),
    );
    const text: string[] = [];
    const built = [];
    const sectionsEach = views.length === 1 ? SECTIONS_ONE_TEAM : SECTIONS_PER_TEAM;
    for (const { team, targets } of views) {
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
      const mayScale = ctx.may('workers.scale', `team:${team.name}`);
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
    if (teams.length > shown.length) {
      const more = `${teams.length - shown.length} more team(s); name one: workers <team>`;
      text.push(more);
      built.push(Blocks.Context().elements(more));
    }
    // Escaped whole: with a mention in it, Slack reads the fallback as mrkdwn.
    return { text: withMentions(escapeMrkdwn(text.join('\n'))), blocks: blocks(...built) };
  },
});
