import { InputError } from '../core/errors.ts';

/** Longest command text accepted; Slack itself caps slash-command text at a few thousand characters. */
export const MAX_COMMAND_LENGTH = 2000;

// C0/C1 controls and the bidirectional overrides used to make text read differently than it is;
// and the two private-use characters that mark a person in announcements (pipeline/people.ts
// personToken), so typed text cannot become a mention.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\uE000\uE001]/u;

const SMART_QUOTES: Record<string, string> = { '“': '"', '”': '"', '„': '"', '‘': "'", '’': "'" };

/**
 * Splits command text the way a shell user expects: whitespace separates, "double" and 'single'
 * quotes group (Slack's curly quotes count as quotes), and a backslash escapes inside double
 * quotes. Quotes may sit inside a word (`reason="late data"`).
 */
export function tokenize(input: string): string[] {
  if (input.length > MAX_COMMAND_LENGTH) {
    throw new InputError(
      `the command is too long (${input.length} characters; at most ${MAX_COMMAND_LENGTH}): shorten the reason or other text`,
    );
  }
  const bad = FORBIDDEN.exec(input);
  if (bad) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new InputError(
      `the command contains a control character (U+${code}) at position ${bad.index + 1}: retype it as plain text`,
    );
  }
  const text = input.replace(/[“”„‘’]/g, (q) => SMART_QUOTES[q] ?? q);
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quote: '"' | "'" | null = null;
  let quoteStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        current += text[i + 1];
        i++;
      } else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      quoteStart = i;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quote) {
    throw new InputError(`the quote at position ${quoteStart + 1} is not closed: add the closing ${quote}`);
  }
  if (inToken) tokens.push(current);
  return tokens;
}
