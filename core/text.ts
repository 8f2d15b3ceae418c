const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` cut to at most `max` UTF-16 units (what Slack's and our limits count), an ellipsis marking
 * the cut. It cuts between grapheme clusters, so an emoji, a flag or a letter with its accent is
 * kept whole or dropped whole: half a surrogate pair is not text, and PostgreSQL's jsonb refuses it.
 */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - 1);
  let end = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (end + segment.length > room) break;
    end += segment.length;
  }
  return `${text.slice(0, end)}…`;
}

/**
 * Any string a person can type, made storable: lone surrogates (from a cut elsewhere, or sent as
 * such) become U+FFFD, and NUL, which PostgreSQL text and jsonb refuse, is written out as `\u0000`.
 */
export function storableText(text: string): string {
  return text.toWellFormed().replaceAll('\u0000', '\\u0000');
}

/**
 * The first of `items` joined with ", " that fit in `maxChars`, and how many were left out: a
 * person in 80 groups has a list longer than one section of text takes.
 */
export function joinWithin(items: readonly string[], maxChars: number): { text: string; left: number } {
  let text = '';
  let shown = 0;
  for (const item of items) {
    const next = text ? `${text}, ${item}` : item;
    if (next.length > maxChars) break;
    text = next;
    shown += 1;
  }
  return { text, left: items.length - shown };
}
