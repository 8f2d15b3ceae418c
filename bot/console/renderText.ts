import type { KnownBlock } from '@slack/types';
import type { Message } from '../../pipeline/message.ts';

export interface RenderedButton {
  actionId: string;
  value: string;
  label: string;
}

/** What the console knows that Slack would show itself: people's names and the reader's time zone. */
export interface ConsoleText {
  /** Names by Slack user id: a mention is shown as the person's name. */
  names?: ReadonlyMap<string, string> | undefined;
  /** An IANA time zone: times dpbot writes in UTC are shown in it. */
  timeZone?: string | undefined;
}

/** `2026-11-21 14:05 UTC`, as core/time.ts formatTime writes it. */
const UTC_TIME = /\b(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}) UTC\b/g;

/** `2026-11-21 15:05` in `timeZone` (said once by the console, so not after every time). */
export function localTime(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}`;
}

/** Slack mrkdwn to plain text: links and mentions readable, entities decoded. */
export function plainText(mrkdwn: string, options: ConsoleText = {}): string {
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
      return styled(part, options);
    })
    .join('');
}

function styled(text: string, options: ConsoleText): string {
  const { names, timeZone } = options;
  const timed = timeZone
    ? text.replace(UTC_TIME, (_m, y, mo, d, h, mi) =>
        localTime(new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi))), timeZone),
      )
    : text;
  return timed
    .replace(/(^|[\s(])\*([^*\n]+)\*(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/(^|[\s(])_([^_\n]+)_(?=$|[\s).,:;!?])/g, '$1$2')
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '$2 ($1)')
    .replace(/<(https?:[^>]+)>/g, '$1')
    .replace(/<@([A-Z0-9]+)(\|[^>]+)?>/g, (_m, id: string) => names?.get(id) ?? `@${id}`)
    .replace(/<#([A-Z0-9]+)\|([^>]+)>/g, '#$2')
    .replace(/<!([a-z]+)>/g, '@$1')
    .replace(/&(lt|gt|amp);/g, (m) => entities(m));
}

function entities(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

type TextObject = { type: string; text: string };
const textOf = (t: TextObject | undefined, options: ConsoleText): string =>
  t ? plainText(t.text, options) : '';

/**
 * Renders a Block Kit message as terminal text. Buttons are numbered through `number`, which
 * the console uses to press them when their number is typed.
 */
export function renderMessage(
  message: Message,
  number: (button: RenderedButton) => number,
  options: ConsoleText = {},
): string {
  if (!message.blocks?.length) return plainText(message.text, options);
  const out: string[] = [];
  const button = (el: { action_id?: string; value?: string; text: TextObject }) => {
    const label = textOf(el.text, options);
    const n = number({ actionId: el.action_id ?? '', value: el.value ?? '', label });
    return `[${n}] ${label}`;
  };
  for (const block of message.blocks as KnownBlock[]) {
    switch (block.type) {
      case 'header':
        out.push(`== ${textOf(block.text, options)} ==`);
        break;
      case 'divider':
        out.push('----');
        break;
      case 'section': {
        if (block.text) out.push(textOf(block.text, options));
        if (block.fields) out.push(block.fields.map((f) => `  ${textOf(f, options)}`).join('\n'));
        const accessory = block.accessory;
        if (accessory && accessory.type === 'button') out.push(`  ${button(accessory)}`);
        break;
      }
      case 'context':
        out.push(
          block.elements
            .map((e) => ('text' in e && typeof e.text === 'string' ? plainText(e.text, options) : ''))
            .filter(Boolean)
            .join(' · '),
        );
        break;
      case 'actions': {
        const parts: string[] = [];
        for (const el of block.elements) {
          if (el.type === 'button') parts.push(button(el));
          else if (el.type === 'static_select') {
            const choices = (el.options ?? []).map((o) => plainText(o.text.text, options)).join(' | ');
            parts.push(`(choose: ${choices})`);
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
