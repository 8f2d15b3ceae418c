import { Blocks, Elements, Modal } from 'slack-block-builder';
import { z } from 'zod';
import { InputError, UpstreamError } from '../../core/errors.ts';
import { defineCommand } from '../../pipeline/defineCommand.ts';
import { blocks } from '../../pipeline/message.ts';
import { RUN_ACTION } from '../../pipeline/views/common.ts';
import { commandModal, MODAL_INPUT } from '../../pipeline/views/modal.ts';

/**
 * Commands that exist only in tests, to exercise the pipeline and the Slack surface with side
 * effects the test can observe. They use the same defineCommand as dpbot's own commands.
 */
export function fixtureCommands() {
  const runs: string[] = [];
  let release: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => {
    release = resolve;
  });

  const drain = defineCommand({
    name: 'drain',
    summary: 'Drain a queue (test fixture)',
    usage: 'drain <queue> [--size <n>]',
    params: { positionals: ['queue'], flags: { size: 'string' } },
    args: z.object({
      queue: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
      size: z.coerce.number().int().min(0).default(1),
    }),
    action: 'workers.scale',
    resourceKinds: ['team'],
    limitNames: ['maxReplicas'],
    resource: (a) => `team:${a.queue}`,
    limits: (a) => ({ maxReplicas: a.size }),
    confirm: (a) =>
      a.size === 0 ? { summary: `Drain ${a.queue} to 0`, details: ['stops every worker'] } : null,
    run: (a, ctx) => {
      if (a.queue === 'broken') throw new UpstreamError('Kubernetes', 'the API answered 500');
      if (a.queue === 'too-big') throw new InputError('team too-big allows at most 3 workers');
      runs.push(`${a.queue}:${a.size}:${ctx.caller.email}`);
      return { text: `drained ${a.queue} by ${ctx.caller.email}`, visibility: 'in_channel' };
    },
  });

  const slow = defineCommand({
    name: 'slow',
    summary: 'Waits until the test releases it (test fixture)',
    usage: 'slow',
    args: z.object({}),
    run: async () => {
      await gate;
      runs.push('slow');
      return { text: 'slow work finished' };
    },
  });

  const progress = defineCommand({
    name: 'progress',
    summary: 'Announces, then updates the announcement many times (test fixture)',
    usage: 'progress <n>',
    params: { positionals: ['n'] },
    args: z.object({ n: z.coerce.number().int().min(1).max(100) }),
    run: async (a, ctx) => {
      const handle = await ctx.reply({ text: 'step 0', visibility: 'in_channel' });
      await Promise.all(
        Array.from({ length: a.n }, (_, i) =>
          handle.update({ text: `step ${i + 1}`, visibility: 'in_channel' }),
        ),
      );
      return undefined;
    },
  });

  const replies = defineCommand({
    name: 'replies',
    summary: 'Answers the caller n times, privately (test fixture)',
    usage: 'replies <n>',
    params: { positionals: ['n'] },
    args: z.object({ n: z.coerce.number().int().min(1).max(20) }),
    run: async (a, ctx) => {
      for (let i = 1; i < a.n; i++) await ctx.reply({ text: `reply ${i} of ${a.n}` });
      return { text: `reply ${a.n} of ${a.n}` };
    },
  });

  const form = defineCommand({
    name: 'form',
    summary: 'Asks for a name in a form when it is missing (test fixture)',
    usage: 'form [name=<name>]',
    params: { keyValues: ['name'] },
    args: z.object({ name: z.string().min(1).max(40).optional() }),
    run: async (a, ctx) => {
      if (a.name) {
        runs.push(`form:${a.name}`);
        return { text: `hello ${a.name}` };
      }
      const opened = await ctx.openModal(
        commandModal(
          Modal({ title: 'Your name', submit: 'Go' }).blocks(
            Blocks.Input({ label: 'Name', blockId: 'name' }).element(
              Elements.TextInput({ actionId: MODAL_INPUT }),
            ),
          ),
          { prefix: 'form', channel: ctx.channel },
        ),
      );
      if (!opened) throw new InputError('name is missing: pass it as name=<name>');
      return undefined;
    },
  });

  const offer = defineCommand({
    name: 'offer',
    summary: 'Offers a button that drains team-x (test fixture)',
    usage: 'offer',
    args: z.object({}),
    run: () => ({
      text: 'Drain team-x?',
      blocks: blocks(
        Blocks.Actions({ blockId: 'offer' }).elements(
          Elements.Button({ text: 'Drain team-x', actionId: RUN_ACTION, value: 'drain team-x --size 1' }),
        ),
      ),
    }),
  });

  return {
    commands: [drain, slow, progress, replies, form, offer],
    runs,
    /** Lets `slow` finish. */
    release: () => {
      release();
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  };
}
