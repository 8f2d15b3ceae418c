import type { ModalView } from '@slack/types';
import { Bits, Blocks, Elements, type InputBuilder, Md, Modal } from 'slack-block-builder';
import { clipText } from '../../../core/text.ts';
import { escapeMrkdwn } from '../../../pipeline/views/common.ts';
import { commandModal, MODAL_INPUT } from '../../../pipeline/views/modal.ts';
import { DATASET_OPTIONS_ACTION } from '../../datasets/options.ts';
import { valuesCommand } from '../catalog.ts';
import type { TaskConfig } from '../config.ts';
import { describeType, type TaskParameter } from '../parameters.ts';

const option = (value: string) => Bits.Option({ text: value.slice(0, 75), value });

/** Slack's limit on a context block's text element. */
const CONTEXT_TEXT_LIMIT = 3000;

/** Slack's static select holds at most 100 options. */
export const MAX_SELECT_OPTIONS = 100;

/**
 * A choice among more values than a select holds is typed; `task run` checks it against the list
 * like a typed command, and the hint names the command listing them all.
 */
function choiceText(values: readonly string[], value: string | undefined) {
  return Elements.TextInput({
    actionId: MODAL_INPUT,
    placeholder: `One of ${values.length} values`,
    ...(value ? { initialValue: value } : {}),
  });
}

function element(p: TaskParameter, value: string | undefined) {
  switch (p.type) {
    case 'enum':
    case 'bool': {
      const values = p.type === 'bool' ? ['true', 'false'] : (p.values ?? []);
      if (values.length > MAX_SELECT_OPTIONS) return choiceText(values, value);
      const select = Elements.StaticSelect({ actionId: MODAL_INPUT, placeholder: 'Choose' }).options(
        values.map(option),
      );
      return value !== undefined && values.includes(value) ? select.initialOption(option(value)) : select;
    }
    case 'team': {
      if (!p.values?.length)
        return Elements.TextInput({
          actionId: MODAL_INPUT,
          placeholder: 'team-x',
          ...(value ? { initialValue: value } : {}),
        });
      if (p.values.length > MAX_SELECT_OPTIONS) return choiceText(p.values, value);
      const select = Elements.StaticSelect({ actionId: MODAL_INPUT, placeholder: 'Choose a team' }).options(
        p.values.map(option),
      );
      return value && p.values.includes(value) ? select.initialOption(option(value)) : select;
    }
    case 'dataset': {
      // Options come from the datasets capability's OptionProvider (`dp.opt.dataset`); the chosen
      // value is the dataset name, which `task run` then checks like a typed one.
      const select = Elements.ExternalSelect({
        actionId: DATASET_OPTIONS_ACTION,
        placeholder: 'Type to search datasets',
        minQueryLength: 1,
      });
      return value ? select.initialOption(option(value)) : select;
    }
    case 'date': {
      const picker = Elements.DatePicker({ actionId: MODAL_INPUT, placeholder: 'Pick a date' });
      return value ? picker.initialDate(new Date(`${value}T00:00:00Z`)) : picker;
    }
    case 'int': {
      const number = Elements.NumberInput({
        actionId: MODAL_INPUT,
        isDecimalAllowed: false,
        ...(typeof p.min === 'number' ? { minValue: p.min } : {}),
        ...(typeof p.max === 'number' ? { maxValue: p.max } : {}),
      });
      return value !== undefined && value !== '' ? number.initialValue(Number(value)) : number;
    }
    case 'duration':
    case 'string':
      return Elements.TextInput({
        actionId: MODAL_INPUT,
        ...(p.type === 'string' && p.maxLength ? { maxLength: p.maxLength } : {}),
        placeholder: p.type === 'duration' ? '2h' : (p.label ?? p.name).slice(0, 150),
        ...(value ? { initialValue: value } : {}),
      });
  }
}

function input(task: TaskConfig, p: TaskParameter, value: string | undefined): InputBuilder {
  const hint = [p.description, describeType(p, `"${valuesCommand(task, p)}" lists them`)]
    .filter(Boolean)
    .join(' — ');
  const block = Blocks.Input({
    label: (p.label ?? p.name).slice(0, 2000),
    blockId: p.name,
    hint: hint.slice(0, 2000),
  }).element(element(p, value));
  return p.required ? block : block.optional();
}

/**
 * The form for a task's parameters, generated from their definitions: selects for enums, teams and
 * booleans, an external select for datasets, date pickers for dates, number inputs for integers.
 * What the caller already typed is filled in. Submitting it runs `task run <task> name=value ...`
 * through the pipeline like typed text, so every check happens again.
 */
export function taskModal(
  task: TaskConfig,
  given: Readonly<Record<string, string>>,
  options: {
    channel: string | null;
    ticket?: string | undefined;
    withTicket: boolean;
    /** Said under the description: why the values filled in are what they are (a late dataset's days). */
    note?: string | undefined;
  },
): ModalView {
  const intro = Blocks.Section({
    text: `${Md.bold(escapeMrkdwn(task.name))}: ${escapeMrkdwn(task.description)}`,
  });
  const fields = task.parameters.map((p) => input(task, p, given[p.name] ?? p.default));
  const ticket = options.withTicket
    ? Blocks.Input({
        label: 'Jira ticket',
        blockId: 'ticket',
        hint: 'Gets a comment when the run ends, e.g. DP-123',
      })
        .element(
          Elements.TextInput({
            actionId: MODAL_INPUT,
            placeholder: 'DP-123',
            ...(options.ticket ? { initialValue: options.ticket } : {}),
          }),
        )
        .optional()
    : undefined;
  const note = options.note
    ? Blocks.Context().elements(clipText(escapeMrkdwn(options.note), CONTEXT_TEXT_LIMIT))
    : undefined;
  const modal = Modal({ title: `Run ${task.name}`.slice(0, 24), submit: 'Run', close: 'Cancel' }).blocks(
    intro,
    ...(note ? [note] : []),
    ...fields,
    ...(ticket ? [ticket] : []),
  );
  return commandModal(modal, { prefix: `task run ${task.name}`, channel: options.channel });
}
