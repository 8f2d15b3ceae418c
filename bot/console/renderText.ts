import type { KnownBlock } from '@slack/types';
import type { Message } from '../../pipeline/message.ts';

export interface RenderedButton {
  actionId: string;
  value: string;
  label: string;
}

/** Slack mrkdwn to plain text: links and mentions readable, entities decoded. */
export function plainText(mrkdwn: string): string {
  // Code is literal (a cron schedule's `*` is not bold): only the text between code spans and
  // preformatted blocks is read as markup. Entities are decoded in both, as Slack does
  // (`task run <task>` is sent as `&lt;task&gt;` inside the code span, and shown with angle
  // brackets); a block's fences are dropped, as Slack draws a box instead.
  return mrkdwn
    .split(/(```[\s\S]*?```|`[^`\n]+`)/)
    .map((part) => {
      if (part.length >= 6 && part.startsWith('```') && part.endsWith('```'))
        return entities(part.slice(3, -3));
      if (part.length > 1 && part.startsWith('`') && part.endsWith('`')) return entities(part.slice(1, -1));
      return styled(part);
    })
    .join('');
}

function styled(text: string): string {
  return text
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<@([A-Z0-9]+)(\|[^>]+)?>/g, '@$1')
    .replace(/<#([A-Z0-9]+)\|([^>]+)>/g, '#$2')
    .replace(/<!([a-z]+)>/g, '@$1')
    .replace(/&(lt|gt|amp);/g, (m) => entities(m));
}

function entities(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

type TextObject = { type: string; text: string };
const textOf = (t: TextObject | undefined): string => (t ? plainText(t.text) : '');

/**
 * Renders a Block Kit message as terminal text. Buttons are numbered through `number`, which
 * the console uses to press them when their number is typed.
 */
export function renderMessage(message: Message, number: (button: RenderedButton) => number): string {
  if (!message.blocks?.length) return plainText(message.text);
  const out: string[] = [];
  const button = (el: { action_id?: string; value?: string; text: TextObject }) => {
    const label = textOf(el.text);
    const n = number({ actionId: el.action_id ?? '', value: el.value ?? '', label });
    return `[${n}] ${label}`;
  };
  for (const block of message.blocks as KnownBlock[]) {
    switch (block.type) {
      case 'header':
        out.push(`== ${textOf(block.text)} ==`);
        break;
      case 'divider':
        out.push('----');
        break;
      case 'section': {
        if (block.text) out.push(textOf(block.text));
        if (block.fields) out.push(block.fields.map((f) => `  ${textOf(f)}`).join('\n'));
        const accessory = block.accessory;
        if (accessory && accessory.type === 'button') out.push(`  ${button(accessory)}`);
        break;
      }
      case 'context':
        out.push(
          block.elements
            .map((e) => ('text' in e && typeof e.text === 'string' ? plainText(e.text) : ''))
            .filter(Boolean)
            .join(' · '),
        );
        break;
      case 'actions': {
        const parts: string[] = [];
        for (const el of block.elements) {
          if (el.type === 'button') parts.push(button(el));
          else if (el.type === 'static_select') {
            const options = (el.options ?? []).map((o) => plainText(o.text.text)).join(' | ');
            parts.push(`(choose: ${options})`);
          }
        }
        out.push(parts.join('  '));
        break;
      }
      default:
        break;
    }
  }
  return out.filter((line) => line !== '').join('\n');
}
