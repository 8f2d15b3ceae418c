import type { ModalView } from '@slack/types';
import type { App } from '../../app/app.ts';
import { directoryPeople } from '../../app/cli/console.ts';
import { whoIs } from '../../bot/console/console.ts';
import { renderMessage } from '../../bot/console/renderText.ts';
import type { Outcome } from '../../pipeline/invocation.ts';
import type { Message } from '../../pipeline/message.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { recordingResponder } from './app.ts';
import { buttons } from './release.ts';

/** One command typed in a session: what came back, as the console prints it. */
export interface Typed {
  text: string;
  email: string;
  outcome: Outcome;
  messages: Message[];
  /** The replies rendered as the console renders them. */
  printed: string;
  /** Modals the command opened (only when typed as from Slack). */
  modals: ModalView[];
}

/**
 * A console session against a running app, one command at a time: what `npm start` does with
 * each line (commands through the pipeline as entry `console`, `.as` to change who is typing,
 * Confirm and Cancel pressed as buttons), with each command's answer kept apart for assertions.
 */
export class SandboxSession {
  email: string;
  readonly #app: App;

  constructor(app: App, email: string) {
    this.#app = app;
    this.email = email;
  }

  /** `.as <email or name>`, read as the console reads it: only someone the directory knows. */
  async as(word: string): Promise<void> {
    const next = await whoIs(word.toLowerCase(), directoryPeople(this.#app.services.access));
    if ('problem' in next) throw new Error(`.as ${word}: ${next.problem}`);
    this.email = next.email;
  }

  /** A line typed in the console (`.as …` or a command); with `slack`, as a slash command that may open a form. */
  async type(text: string, options: { slack?: boolean } = {}): Promise<Typed> {
    if (text.startsWith('.as ')) {
      await this.as(text.slice(4).trim());
      return { text, email: this.email, outcome: 'ok', messages: [], printed: '', modals: [] };
    }
    const responder = recordingResponder();
    const modals: ModalView[] = [];
    const outcome = await this.#app.pipeline.handleText({
      requestId: crypto.randomUUID(),
      entry: options.slack ? 'slack' : 'console',
      text,
      caller: { email: this.email },
      channel: 'console',
      responder,
      ...(options.slack
        ? {
            openModal: async (view: ModalView) => {
              modals.push(view);
              return true;
            },
          }
        : {}),
    });
    return this.#typed(
      text,
      outcome,
      responder.sent.map((s) => s.message),
      modals,
    );
  }

  /** Presses the Confirm (or Cancel) button of a command's confirmation question. */
  async answer(typed: Typed, label: 'Confirm' | 'Cancel'): Promise<Typed> {
    const actionId = label === 'Confirm' ? CONFIRM_ACTION : CANCEL_ACTION;
    const button = typed.messages.flatMap((m) => buttons(m.blocks)).find((b) => b.actionId === actionId);
    if (!button)
      throw new Error(`"${typed.text}" asked no question with a ${label} button:\n${typed.printed}`);
    const responder = recordingResponder();
    const outcome = await this.#app.pipeline.handleAction({
      requestId: crypto.randomUUID(),
      entry: 'button',
      actionId,
      value: button.value,
      caller: { email: this.email },
      channel: 'console',
      responder,
    });
    return this.#typed(
      `${typed.text} → ${label}`,
      outcome,
      responder.sent.map((s) => s.message),
      [],
    );
  }

  #typed(text: string, outcome: Outcome, messages: Message[], modals: ModalView[]): Typed {
    let n = 0;
    const printed = messages.map((m) => renderMessage(m, () => ++n)).join('\n');
    return { text, email: this.email, outcome, messages, printed, modals };
  }
}
