import { Blocks, Elements, Modal } from 'slack-block-builder';
import { describe, expect, it } from 'vitest';
import { mapArgs } from '../../pipeline/mapArgs.ts';
import { tokenize } from '../../pipeline/tokenize.ts';
import {
  COMMAND_MODAL,
  commandModal,
  MODAL_INPUT,
  modalSubmissionToText,
  quoteArg,
} from '../../pipeline/views/modal.ts';

describe('command modals', () => {
  it('builds a modal that carries the command it completes', () => {
    const view = commandModal(
      Modal({ title: 'Run backfill', submit: 'Run' }).blocks(
        Blocks.Input({ label: 'Dataset', blockId: 'dataset' }).element(
          Elements.TextInput({ actionId: MODAL_INPUT }),
        ),
      ),
      { prefix: 'task run backfill', channel: 'C1' },
    );
    expect(view.callback_id).toBe(COMMAND_MODAL);
    expect(JSON.parse(view.private_metadata ?? '')).toEqual({ prefix: 'task run backfill', channel: 'C1' });
  });

  it('turns a submission back into command text that parses to the same values', () => {
    const nasty = 'a "b" \\ c $(rm -rf /)';
    const { text, metadata } = modalSubmissionToText({
      private_metadata: JSON.stringify({ prefix: 'task run backfill', channel: 'C1' }),
      state: {
        values: {
          dataset: { [MODAL_INPUT]: { type: 'external_select', selected_option: { value: 'orders' } } },
          from: { [MODAL_INPUT]: { type: 'datepicker', selected_date: '2026-11-01' } },
          note: { [MODAL_INPUT]: { type: 'plain_text_input', value: nasty } },
          empty: { [MODAL_INPUT]: { type: 'plain_text_input', value: '' } },
        },
      },
    });
    expect(metadata.channel).toBe('C1');
    const tokens = tokenize(text);
    expect(mapArgs(tokens.slice(2), { positionals: ['task'], keyValues: 'any' }, '')).toEqual({
      task: 'backfill',
      params: { dataset: 'orders', from: '2026-11-01', note: nasty },
    });
  });

  it("reads an external select by its own action id (its OptionProvider's)", () => {
    const { text } = modalSubmissionToText({
      private_metadata: JSON.stringify({ prefix: 'task run backfill', channel: null }),
      state: {
        values: {
          dataset: { 'dp.opt.dataset': { type: 'external_select', selected_option: { value: 'orders' } } },
        },
      },
    });
    expect(text).toBe('task run backfill dataset=orders');
  });

  it('quotes only what needs quoting', () => {
    expect(quoteArg('orders')).toBe('orders');
    expect(quoteArg('two words')).toBe('"two words"');
    expect(quoteArg('')).toBe('""');
  });
});
