/**
 * Durations in Intl.DurationFormat's narrow English style (`3h 10m`, `45s`): the same words as the
 * durations people type (`--for 2h`), so dpbot writes one kind of duration everywhere.
 */
type Unit = 'days' | 'hours' | 'minutes' | 'seconds';
type Parts = Partial<Record<Unit, number>>;
type Display = Partial<Record<`${Unit}Display`, 'always' | 'auto'>>;
type DurationFormat = new (
  locale: string,
  options: { style: 'narrow' } & Display,
) => { format(parts: Parts): string };

// Typed here because TypeScript 5.9's lib does not declare Intl.DurationFormat; optional because
// Node 22 (V8 12.4), which dpbot still runs on, does not have it (Node 23 and later do).
const Native = (Intl as { DurationFormat?: DurationFormat }).DurationFormat;

const UNITS: readonly Unit[] = ['days', 'hours', 'minutes', 'seconds'];
const LETTER: Record<Unit, string> = { days: 'd', hours: 'h', minutes: 'm', seconds: 's' };

/**
 * What Intl.DurationFormat writes for these parts, for a Node without it: each unit that is not
 * zero (or is `always`), largest first, as number and letter.
 * @internal exported for the test that holds it to Intl's own output.
 */
export function standInWords(parts: Parts, always?: Unit): string {
  return UNITS.filter((u) => (parts[u] ?? 0) !== 0 || u === always)
    .map((u) => `${(parts[u] ?? 0).toLocaleString('en')}${LETTER[u]}`)
    .join(' ');
}

const formats = new Map<Unit | undefined, { format(parts: Parts): string }>();

/**
 * `parts` in words; `always` names a unit written even at zero (`5m 0s`, and `0s` rather than
 * nothing).
 */
export function durationWords(parts: Parts, always?: Unit): string {
  if (!Native) return standInWords(parts, always);
  let format = formats.get(always);
  if (!format) {
    format = new Native('en', { style: 'narrow', ...(always ? { [`${always}Display`]: 'always' } : {}) });
    formats.set(always, format);
  }
  return format.format(parts);
}
