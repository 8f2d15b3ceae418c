import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildRegistry } from '../../app/app.ts';
import { sandboxNote, sandboxSchema } from '../../core/config/sandbox.ts';
import { helpCapability } from '../../handlers/help/index.ts';
import type { Caller, CommandContext } from '../../pipeline/defineCommand.ts';
import { callerWith } from '../support/callers.ts';

// The help capability bound with the dependencies it declares, no database and no Slack.
const bound = helpCapability.bind({ registry: buildRegistry(), sandboxNote: undefined });
const helpWith = (sandbox: unknown) =>
  helpCapability
    .bind({ registry: buildRegistry(), sandboxNote: sandboxNote(sandboxSchema.parse(sandbox)) })
    .commands.find((c) => c.name === 'help');

function contextFor(caller: Caller): CommandContext {
  return {
    requestId: 'r-help',
    entry: 'console',
    channel: null,
    caller,
    decision: null,
    deps: undefined,
    log: pino({ level: 'silent' }),
    // help answers with its return value; nothing else may reply.
    reply: async () => {
      throw new Error('help replied through ctx.reply');
    },
    openModal: async () => false,
    may: () => false,
    auditStep: async () => {},
  };
}

const caller = callerWith;

describe('help, bound with just its dependencies', () => {
  const help = bound.commands.find((c) => c.name === 'help');

  it('lists what the caller may run and counts the rest', async () => {
    const ctx = contextFor(caller(['audit.read']));
    const message = await help?.run({}, ctx);
    expect(message?.text).toContain('audit');
    expect(message?.text).not.toContain('scale <team>');
    expect(message?.text).not.toContain('sandbox');
  });

  it('says first, in the sandbox, that changes go to simulated systems', async () => {
    const message = await helpWith(true)?.run({}, contextFor(caller([])));
    expect(message?.text.split('\n')[0]).toBe(
      'sandbox: changes go to simulated systems (Kubernetes, Argo Workflows, Argo CD, GitHub, Jira, dataset catalog, directory (Google Workspace, GitHub teams) on 127.0.0.1), not to real ones',
    );
    expect(JSON.stringify(message?.blocks)).toContain('sandbox: changes go to simulated systems');
  });

  it('names the real systems too when only some are simulated, and says nothing when none is', async () => {
    const mixed = await helpWith({ github: false, argocd: false })?.run({}, contextFor(caller([])));
    expect(mixed?.text.split('\n')[0]).toBe(
      'sandbox: changes go to simulated systems (Kubernetes, Argo Workflows, Jira, dataset catalog, directory (Google Workspace, GitHub teams) on 127.0.0.1); real: Argo CD, GitHub',
    );
    const real = await helpWith(false)?.run({}, contextFor(caller([])));
    expect(real?.text).not.toContain('sandbox');
  });

  it('explains a group with the commands the caller may run, each with its usage and an example, and counts the rest', async () => {
    // release.read only: status, notes, history; not start, ship, rollback…
    const message = await help?.run({ topic: ['release'] }, contextFor(caller(['release.read'])));
    const text = message?.text ?? '';
    expect(text.split('\n')[0]).toBe('release commands you may run:');
    expect(text).toContain('release status [id] — ');
    expect(text).toMatch(/^ {2}for example release status$/m);
    expect(text).toContain('release notes [id] [service=<name>] — ');
    expect(text).not.toContain('release ship');
    expect(JSON.stringify(message?.blocks)).toMatch(/\d+ more command\(s\) need access you do not have/);
  });

  it('explains one command, saying whether the caller has its action', async () => {
    const ctx = contextFor(caller([]));
    const message = await help?.run({ topic: ['audit'] }, ctx);
    expect(message?.text).toContain('Usage: audit');
  });
});
