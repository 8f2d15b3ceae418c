import { type ButtonBuilder, Elements } from 'slack-block-builder';
import { PAGE_ACTION } from './common.ts';

/** One page of a list, and where it sits among the others. */
export interface Page<T> {
  items: T[];
  /** 1-based; a page past the end is the last one. */
  page: number;
  pages: number;
  total: number;
  /** How many come after this page. */
  after: number;
}

/** Cuts `items` into pages of `size`; page numbers past the end show the last page. */
export function pageOf<T>(items: readonly T[], page: number, size: number): Page<T> {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const current = Math.min(Math.max(1, page), pages);
  const shown = items.slice((current - 1) * size, current * size);
  return {
    items: shown,
    page: current,
    pages,
    total: items.length,
    after: Math.max(0, items.length - current * size),
  };
}

/**
 * ‹ Previous / Next › buttons for a paged view; each runs the same command on the page next to
 * this one (`commandFor(page)`), as often as pressed. Empty on a view of one page.
 */
export function pageButtons(page: Page<unknown>, commandFor: (page: number) => string): ButtonBuilder[] {
  const buttons: ButtonBuilder[] = [];
  if (page.page > 1)
    buttons.push(
      Elements.Button({ text: '‹ Previous', actionId: PAGE_ACTION, value: commandFor(page.page - 1) }),
    );
  if (page.page < page.pages)
    buttons.push(
      Elements.Button({ text: 'Next ›', actionId: PAGE_ACTION, value: commandFor(page.page + 1) }),
    );
  return buttons;
}

/**
 * The first `max` items joined, and how many were left out: `a, b, c and 297 more`. `more` says
 * how to see the rest (a command), shown after the count when anything was left out.
 */
export function andMore(items: readonly string[], max: number, more?: string): string {
  const shown = items.slice(0, max).join(', ');
  const rest = items.length - max;
  if (rest <= 0) return shown;
  return `${shown} and ${rest} more${more ? ` (${more})` : ''}`;
}

export { clipText } from '../../core/text.ts';
