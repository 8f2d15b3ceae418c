import { z } from 'zod';
import { defineCommand } from '../deps.ts';
import { frozenWhat, untilText } from '../describe.ts';
import { announceChange } from '../gate.ts';
import { freezeNotice } from '../views.ts';
import { parseUntil } from '../zonedTime.ts';
import { freezeResource, serviceList, servicesNamed, serviceWords } from './common.ts';

const USAGE = 'freeze <service…|all> until <time> --reason <why>';

const args = z
  .object({
    words: z.array(z.string()).optional(),
    until: z.string().optional(),
    reason: z.string().trim().max(300, { error: 'keep the reason under 300 characters' }).optional(),
  })
  .transform((a, ctx) => {
    // `freeze orders-api ingest until monday 09:00`: the services, then `until` and the time.
    const words = a.words ?? [];
    const at = words.findIndex((w) => w.toLowerCase() === 'until');
    const named = at === -1 ? words : words.slice(0, at);
    const until = at === -1 ? a.until : words.slice(at + 1).join(' ');
    if (named.length === 0)
      ctx.addIssue({ code: 'custom', path: ['words'], message: 'name the services to freeze, or all' });
    const bad = named.filter((w) => !serviceWords.element.safeParse(w).success);
    if (bad.length)
      ctx.addIssue({
        code: 'custom',
        path: ['words'],
        message: `${bad.map((w) => `"${w}"`).join(', ')}: expected service names such as orders-api, or all, then until <time>`,
      });
    if (!until?.trim())
      ctx.addIssue({
        code: 'custom',
        path: ['until'],
        message:
          'say until when: "until 2h", "until 18:00", "until monday 09:00" or "until 2026-12-24T09:00"',
      });
    if (!a.reason)
      ctx.addIssue({
        code: 'custom',
        path: ['reason'],
        message: 'say why with --reason "…": everyone whose ship is refused reads it',
      });
    return { services: serviceList(named), until: until ?? '', reason: a.reason ?? '' };
  });

export const freeze = defineCommand({
  name: 'freeze',
  summary: 'Freeze deploys of some services (or all) until a time, with a reason',
  usage: USAGE,
  examples: [
    'freeze all until monday 09:00 --reason "quarter close"',
    'freeze orders-api until 2h --reason "incident INC-42 under investigation"',
  ],
  description:
    'Until then "release ship" is refused (before its confirmation) with who froze, why and until when; rollbacks stay allowed unless freezes.blockRollbacks is set. Holders of release.ship.frozen may still ship, with --reason. Times without a zone are in freezes.timezone.',
  params: { positionals: ['words...'], flags: { reason: 'string', until: 'string' } },
  args,
  action: 'release.freeze',
  resourceKinds: ['service'],
  resource: (a) => freezeResource(a.services),
  names: (a, ctx) => servicesNamed(ctx.deps, a.services),
  run: async (a, ctx) => {
    const deps = ctx.deps;
    const now = deps.now();
    const until = parseUntil(a.until, deps.config.freezes.timezone, now);
    const row = await deps.freezes.create({
      services: a.services,
      reason: a.reason,
      until,
      createdBy: ctx.caller.email,
      requestId: ctx.requestId,
    });
    await ctx.auditStep(
      {
        outcome: 'frozen',
        action: 'release.freeze',
        resource: freezeResource(a.services),
        detail: { freezeId: row.id, services: a.services, until: until.toISOString(), reason: a.reason },
      },
      { happened: true, summary: `freeze #${row.id} was set` },
    );
    await announceChange(deps);
    return freezeNotice(
      `${ctx.caller.name ?? ctx.caller.email} froze ${frozenWhat(row)} until ${untilText(until, deps.config.freezes.timezone)} (freeze #${row.id}): ${a.reason}. "release ship" is refused until then; "unfreeze" lifts it early.`,
    );
  },
});
