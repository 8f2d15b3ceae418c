import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { actionKind, type Responder } from '../../pipeline/message.ts';
import type { CommandPipeline } from '../../pipeline/pipeline.ts';
import { ConsoleSurface } from './consoleSurface.ts';

export interface ConsoleOptions {
  pipeline: CommandPipeline;
  as: string;
  input: Readable;
  output: Writable;
  /** Show a prompt and a banner: true when a person is typing. */
  interactive: boolean;
  /** Shared with the notifier, so buttons on background messages can be pressed too. */
  surface?: ConsoleSurface;
  /**
   * The directory's people a word names: the e-mail itself when someone has it, else everyone
   * called that (`grace`, as `audit grace` reads it). `.as` refuses a word that names nobody,
   * rather than act as nobody.
   */
  people?: (word: string) => Promise<string[]>;
  /** The time zone the session shows times in, said once when it starts. */
  timeZone?: string;
}

const BANNER = `dpbot console — type a command as you would after /dp (try "help"), a button's number to press it,
".as <email>" to act as someone else, or "exit".`;

/**
 * The same pipeline as Slack, in a terminal: replies are rendered as text, buttons are numbered
 * and pressed by typing the number. Reads line by line, so it works with piped input too.
 */
export async function runConsole(options: ConsoleOptions): Promise<void> {
  const { pipeline, output } = options;
  let as = options.as.toLowerCase();
  const surface = options.surface ?? new ConsoleSurface(output);
  const session = randomUUID();
  const write = (text: string) => surface.write(text);
  const where = (visibility: string | undefined) => (visibility === 'in_channel' ? '[to the channel] ' : '');

  const responder: Responder = {
    send: async (message) => surface.reply(message, (m) => where(m.visibility)),
  };

  const rl = createInterface({
    input: options.input,
    ...(options.interactive ? { output, terminal: true } : { terminal: false }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  // Ctrl-C at the prompt, or SIGTERM/SIGINT from outside, ends the session as `exit` does: the
  // command under way finishes, then dpbot shuts down cleanly (and stops an embedded database).
  let closed = false;
  rl.once('close', () => {
    closed = true;
  });
  const stop = () => rl.close();
  rl.on('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const prompt = () => {
    rl.prompt();
    surface.promptShown(true);
  };
  if (options.timeZone) write(`Times are shown in ${options.timeZone}.`);
  if (options.interactive) {
    surface.attachPrompt({ redraw: () => rl.prompt(true) });
    write(BANNER);
    write(`Acting as ${as}.`);
    rl.setPrompt('dp> ');
    prompt();
  }
  try {
    for await (const rawLine of rl) {
      surface.promptShown(false);
      const line = rawLine.trim();
      if (line === 'exit' || line === 'quit' || line === '.quit') break;
      if (line !== '') {
        if (line === '.as' || line.startsWith('.as ')) {
          const next = await whoIs(line.slice(3).trim().toLowerCase(), options.people);
          if ('problem' in next) write(`${next.problem} Still acting as ${as}.`);
          else {
            as = next.email;
            write(`Acting as ${as}.`);
          }
        } else if (/^\d+$/.test(line)) {
          const press = surface.press(Number(line));
          if (!press.ok) write(press.problem);
          else {
            const pressed = press.button;
            write(`> pressed "${pressed.label}"`);
            await pipeline.handleAction({
              requestId: randomUUID(),
              entry: 'button',
              actionId: actionKind(pressed.actionId),
              value: pressed.value,
              caller: { email: as },
              channel: 'console',
              responder,
              source: pressed.handle,
              buttonKey: `console:${session}:${line}`,
            });
          }
        } else {
          await pipeline.handleText({
            requestId: randomUUID(),
            entry: 'console',
            text: line.replace(/^\/dp\s+/, ''),
            caller: { email: as },
            channel: 'console',
            responder,
          });
        }
      }
      if (options.interactive && !closed) prompt();
    }
  } finally {
    surface.promptShown(false);
    surface.flush();
    rl.close();
    process.removeListener('SIGTERM', stop);
    process.removeListener('SIGINT', stop);
  }
}

/** Whom `.as <word>` names: an e-mail the directory knows, or the one person it knows by that name. */
export async function whoIs(
  word: string,
  people: ConsoleOptions['people'],
): Promise<{ email: string } | { problem: string }> {
  if (word === '') return { problem: 'Usage: .as <email>, for example .as ada@example.com.' };
  const email = word.includes('@');
  if (email && !/^[^@\s]+@[^@\s]+$/.test(word))
    return { problem: `"${word}" is not an e-mail address: .as <email>, for example .as ada@example.com.` };
  if (!people) return email ? { email: word } : { problem: `"${word}" is not an e-mail address.` };
  const found = await people(word);
  const [only] = found;
  if (only !== undefined && found.length === 1) return { email: only };
  if (found.length > 1)
    return { problem: `"${word}" could be ${found.join(', ')}: give the e-mail, as in .as ${found[0]}.` };
  return {
    problem: email
      ? `No one in the directory has the e-mail ${word}: check the address, or run "access status" to see the directory sources.`
      : `No one in the directory is called "${word}": give their e-mail, as in .as ada@example.com.`,
  };
}
