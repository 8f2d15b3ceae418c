import { z } from 'zod';
import { errorMessage } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { describeRef, workloadRef } from '../../../integrations/kubernetes/kubernetes.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import type { Message } from '../../../pipeline/message.ts';
import { personToken } from '../../../pipeline/people.ts';
import type { TargetConfig, TeamConfig } from '../config.ts';
import { TEAM_NAME } from '../config.ts';
import { defineCommand, type ScalingDeps } from '../deps.ts';
import { podsLine } from '../messages.ts';
import { argoAppOf } from '../plan.ts';
import type { ScaleChangeRecord, ScaleRevert } from '../stores/scaleStore.ts';
import { findTeam, requireKubernetes, teamNamed } from '../teams.ts';
import { noTeamsMessage, type TargetView, workersMessage } from '../views.ts';

const TEAMS_SHOWN = 12;

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
    if (teams.length === 0) return noTeamsMessage();
    const shown = teams.slice(0, TEAMS_SHOWN);
    const pending = await ctx.deps.scaling.pendingReverts();
    const views = await Promise.all(
      shown.map(async (team) => {
        const changes = await ctx.deps.scaling.lastChanges(team.name, 50);
        const targets = await Promise.all(
          team.targets.map((t) => viewTarget(ctx, team, t, changes, pending)),
        );
        return { team, targets, mayScale: ctx.may('workers.scale', `team:${team.name}`) };
      }),
    );
    return workersMessage(views, teams.length - shown.length);
  },
});
