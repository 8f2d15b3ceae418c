import type { ModalView } from '@slack/types';
import type { ModalBuilder } from 'slack-block-builder';

/** The callback id of every modal that gathers a command's arguments. */
export const COMMAND_MODAL = 'dp.command';
/**
 * Inputs of a command modal use this action id; their block id is the argument's name. External
 * selects are the exception: their action id is their OptionProvider's (`dp.opt.dataset`).
 */
export const MODAL_INPUT = 'value';

export interface CommandModalMetadata {
  /** The command and what is already known, e.g. `task run backfill`. */
  prefix: string;
  channel: string | null;
}

/** Marks a slack-block-builder modal as a command form and returns Block Kit JSON. */
export function commandModal(modal: ModalBuilder, metadata: CommandModalMetadata): ModalView {
  // slack-block-builder's DTO and @slack/types' ModalView describe the same JSON; see blocks().
  return modal
    .callbackId(COMMAND_MODAL)
    .privateMetaData(JSON.stringify(metadata))
    .buildToObject() as unknown as ModalView;
}

/** Quotes a value so the tokenizer reads it back as one word, whatever it contains. */
export function quoteArg(value: string): string {
  if (value !== '' && /^[^\s"'“”‘’\\]+$/.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

type InputValue = {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
  selected_date?: string | null;
  selected_options?: { value: string }[];
  selected_user?: string | null;
};

/**
 * Turns a submitted command modal back into command text — `task run backfill dataset=orders
 * from=2026-11-01` — so the submission runs through the same parse/validate/authorize pipeline as
 * a typed command. Empty inputs are left out.
 */
export function modalSubmissionToText(view: {
  private_metadata?: string;
  state?: { values: Record<string, Record<string, InputValue>> };
}): { text: string; metadata: CommandModalMetadata } {
  const metadata = JSON.parse(view.private_metadata ?? '{}') as Partial<CommandModalMetadata>;
  if (typeof metadata.prefix !== 'string') throw new Error('the form does not say which command it is for');
  const parts = [metadata.prefix];
  for (const [name, inputs] of Object.entries(view.state?.values ?? {})) {
    // Inputs use MODAL_INPUT, except external selects, whose action id names their OptionProvider
    // (`dp.opt.dataset`); an input block holds one element either way.
    const input = inputs[MODAL_INPUT] ?? Object.values(inputs)[0];
    if (!input) continue;
    const value =
      input.value ??
      input.selected_option?.value ??
      input.selected_date ??
      input.selected_user ??
      input.selected_options?.map((o) => o.value).join(',');
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${name}=${quoteArg(value)}`);
  }
  return { text: parts.join(' '), metadata: { prefix: metadata.prefix, channel: metadata.channel ?? null } };
}
