/**
 * Slack's documented Block Kit limits, checked on every payload the Slack simulator receives, so
 * a view that would get `invalid_blocks` (or `msg_too_long`) from Slack gets it here too. Written
 * from Slack's reference pages for blocks, block elements, composition objects, views and
 * chat.postMessage; the simulator imports no dpbot code, so this is its own reading of them.
 */

export type PayloadKind = 'message' | 'modal' | 'home';

export interface LimitViolation {
  /** Where in the payload: `blocks[3].elements[0].text.text`. */
  path: string;
  problem: string;
}

/** Blocks per surface. */
const MAX_BLOCKS: Record<PayloadKind, number> = { message: 50, modal: 100, home: 100 };
/** chat.postMessage truncates past 40,000 characters and refuses far longer text. */
const MAX_MESSAGE_TEXT = 40_000;

type Json = Record<string, unknown>;

/**
 * What Slack reads between `<` and `>` in mrkdwn and in a message's `text`: a user, channel or
 * user-group mention, a special mention, a date, or a link (docs.slack.dev, "Formatting text for
 * app surfaces": "&", "<" and ">" are control characters, to be written &amp; &lt; &gt;). Anything
 * else between angle brackets is someone's text that was not escaped: Slack shows it wrong (an
 * e-mail in brackets becomes a link, `<name>` disappears).
 */
const CONTROL_SEQUENCE =
  /^<(?:@[UW][A-Z0-9]+(?:\|[^>]*)?|#[CG][A-Z0-9]+(?:\|[^>]*)?|!subteam\^[A-Z0-9]+(?:\|[^>]*)?|!(?:here|channel|everyone)(?:\|[^>]*)?|!date\^[^>]+|(?:https?|mailto|slack):[^>|\s]+(?:\|[^>]*)?)>$/;

/** The unescaped angle brackets in a mrkdwn string: each `<…>` that is not a control sequence. */
export function unescapedBrackets(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/<[^<>]*>?/g)) {
    if (!CONTROL_SEQUENCE.test(match[0])) found.push(match[0]);
  }
  return found;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const lengthOf = (s: string): number => s.length;

class Checker {
  readonly violations: LimitViolation[] = [];

  max(path: string, value: unknown, limit: number, what: string): void {
    if (typeof value !== 'string') return;
    const n = lengthOf(value);
    if (n > limit) this.violations.push({ path, problem: `${what}: ${n} characters, more than ${limit}` });
  }

  count(path: string, value: unknown, limit: number, what: string): void {
    if (!Array.isArray(value)) return;
    if (value.length > limit)
      this.violations.push({ path, problem: `${what}: ${value.length}, more than ${limit}` });
  }

  require(path: string, ok: boolean, problem: string): void {
    if (!ok) this.violations.push({ path, problem });
  }

  /** A text object's `text`. */
  text(path: string, value: unknown, limit: number, what: string): void {
    if (!isObject(value)) return;
    this.max(`${path}.text`, value.text, limit, what);
    if (value.type === 'mrkdwn') this.escaped(`${path}.text`, value.text);
  }

  /** Text Slack formats as mrkdwn carries no `<` or `>` but its control sequences. */
  escaped(path: string, value: unknown): void {
    if (typeof value !== 'string') return;
    const raw = unescapedBrackets(value);
    if (raw.length)
      this.violations.push({
        path,
        problem: `unescaped text in mrkdwn: ${raw.slice(0, 3).join(', ')} (write &lt; &gt; &amp;)`,
      });
  }

  blocks(path: string, blocks: unknown, kind: PayloadKind): void {
    if (!Array.isArray(blocks)) return;
    this.count(path, blocks, MAX_BLOCKS[kind], `blocks in a ${kind}`);
    const blockIds = new Set<string>();
    blocks.forEach((block, i) => {
      const at = `${path}[${i}]`;
      if (!isObject(block)) return;
      if (typeof block.block_id === 'string') {
        this.max(`${at}.block_id`, block.block_id, 255, 'block_id');
        this.require(
          `${at}.block_id`,
          !blockIds.has(block.block_id),
          `block_id "${block.block_id}" repeated`,
        );
        blockIds.add(block.block_id);
      }
      this.block(at, block);
    });
  }

  block(at: string, block: Json): void {
    switch (block.type) {
      case 'section':
        this.text(`${at}.text`, block.text, 3000, 'section text');
        this.count(`${at}.fields`, block.fields, 10, 'section fields');
        if (Array.isArray(block.fields))
          block.fields.forEach((f, i) => {
            this.text(`${at}.fields[${i}]`, f, 2000, 'section field');
          });
        this.require(
          at,
          block.text !== undefined || Array.isArray(block.fields),
          'a section needs text or fields',
        );
        if (isObject(block.accessory)) this.element(`${at}.accessory`, block.accessory);
        break;
      case 'header':
        this.text(`${at}.text`, block.text, 150, 'header text');
        break;
      case 'context':
        this.count(`${at}.elements`, block.elements, 10, 'context elements');
        if (Array.isArray(block.elements))
          block.elements.forEach((e, i) => {
            if (isObject(e) && (e.type === 'mrkdwn' || e.type === 'plain_text'))
              this.text(`${at}.elements[${i}]`, e, 3000, 'context text');
          });
        break;
      case 'actions':
        this.count(`${at}.elements`, block.elements, 25, 'elements in an actions block');
        this.elements(`${at}.elements`, block.elements);
        break;
      case 'input':
        this.text(`${at}.label`, block.label, 2000, 'input label');
        this.text(`${at}.hint`, block.hint, 2000, 'input hint');
        if (isObject(block.element)) this.element(`${at}.element`, block.element);
        break;
      case 'image':
        this.max(`${at}.alt_text`, block.alt_text, 2000, 'image alt_text');
        this.max(`${at}.image_url`, block.image_url, 3000, 'image_url');
        break;
      default:
        break;
    }
  }

  /** Elements of one block: action_ids unique within it. */
  elements(path: string, elements: unknown): void {
    if (!Array.isArray(elements)) return;
    const actionIds = new Set<string>();
    elements.forEach((e, i) => {
      if (!isObject(e)) return;
      if (typeof e.action_id === 'string') {
        this.require(
          `${path}[${i}].action_id`,
          !actionIds.has(e.action_id),
          `action_id "${e.action_id}" repeated in one block`,
        );
        actionIds.add(e.action_id);
      }
      this.element(`${path}[${i}]`, e);
    });
  }

  element(at: string, e: Json): void {
    this.max(`${at}.action_id`, e.action_id, 255, 'action_id');
    this.text(`${at}.placeholder`, e.placeholder, 150, 'placeholder');
    if (isObject(e.confirm)) this.confirm(`${at}.confirm`, e.confirm);
    switch (e.type) {
      case 'button':
        this.text(`${at}.text`, e.text, 75, 'button text');
        this.max(`${at}.value`, e.value, 2000, 'button value');
        this.max(`${at}.url`, e.url, 3000, 'button url');
        break;
      case 'static_select':
      case 'multi_static_select':
        this.count(`${at}.options`, e.options, 100, 'options in a select');
        this.options(`${at}.options`, e.options);
        this.count(`${at}.option_groups`, e.option_groups, 100, 'option groups in a select');
        break;
      case 'overflow':
        this.count(`${at}.options`, e.options, 5, 'options in an overflow menu');
        this.options(`${at}.options`, e.options);
        break;
      case 'radio_buttons':
      case 'checkboxes':
        this.count(`${at}.options`, e.options, 10, `options in ${e.type}`);
        this.options(`${at}.options`, e.options);
        break;
      case 'plain_text_input':
        if (typeof e.initial_value === 'string' && typeof e.max_length === 'number')
          this.max(`${at}.initial_value`, e.initial_value, e.max_length, 'initial_value');
        break;
      default:
        break;
    }
  }

  options(path: string, options: unknown): void {
    if (!Array.isArray(options)) return;
    options.forEach((o, i) => {
      if (!isObject(o)) return;
      this.text(`${path}[${i}].text`, o.text, 75, 'option text');
      this.max(`${path}[${i}].value`, o.value, 150, 'option value');
      this.text(`${path}[${i}].description`, o.description, 75, 'option description');
    });
  }

  confirm(at: string, c: Json): void {
    this.text(`${at}.title`, c.title, 100, 'confirm title');
    this.text(`${at}.text`, c.text, 300, 'confirm text');
    this.text(`${at}.confirm`, c.confirm, 30, 'confirm button');
    this.text(`${at}.deny`, c.deny, 30, 'deny button');
  }
}

/**
 * A message as chat.postMessage, chat.update, chat.postEphemeral or a response_url take it:
 * `text` is the notification and screen-reader fallback, required beside blocks.
 */
export function checkMessage(args: Record<string, unknown>): LimitViolation[] {
  const c = new Checker();
  const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
  const text = typeof args.text === 'string' ? args.text : '';
  c.require(
    'text',
    !hasBlocks || text.trim().length > 0,
    'a message with blocks needs a plain-text `text` fallback',
  );
  c.max('text', text, MAX_MESSAGE_TEXT, 'message text');
  if (args.mrkdwn !== false) c.escaped('text', text);
  c.blocks('blocks', args.blocks, 'message');
  return c.violations;
}

/** A view as views.open, views.update, views.push or views.publish take it. */
export function checkView(view: unknown): LimitViolation[] {
  const c = new Checker();
  if (!isObject(view)) return [{ path: 'view', problem: 'a view must be an object' }];
  const kind: PayloadKind = view.type === 'home' ? 'home' : 'modal';
  if (kind === 'modal') {
    c.require('view.title', isObject(view.title), 'a modal needs a title');
    c.text('view.title', view.title, 24, 'modal title');
    c.text('view.submit', view.submit, 24, 'modal submit');
    c.text('view.close', view.close, 24, 'modal close');
  }
  c.max('view.private_metadata', view.private_metadata, 3000, 'private_metadata');
  c.max('view.callback_id', view.callback_id, 255, 'callback_id');
  c.max('view.external_id', view.external_id, 255, 'external_id');
  c.blocks('view.blocks', view.blocks, kind);
  return c.violations;
}

/** One line per violation, as Slack lists them in `response_metadata.messages`. */
export function describeViolations(violations: readonly LimitViolation[]): string[] {
  return violations.map(
    (v) => `[ERROR] ${v.problem} [json-pointer:/${v.path.replace(/\[(\d+)\]/g, '/$1').replaceAll('.', '/')}]`,
  );
}
