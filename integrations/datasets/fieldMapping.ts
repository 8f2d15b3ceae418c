import { parseDuration } from '../../core/config/duration.ts';
import type { CatalogDataset } from './catalogDataset.ts';
import type { CatalogConfig } from './config.ts';

/** Reads `a.b.0.c` from a JSON value; an empty path is the value itself. */
export function readPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current: unknown = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(key)] : (current as Record<string, unknown>)[key];
  }
  return current;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value && typeof value === 'object') {
    // Owners often come as {name, email}: the e-mail is what people can act on.
    const o = value as Record<string, unknown>;
    for (const key of ['email', 'name', 'id']) if (typeof o[key] === 'string') return o[key] as string;
  }
  return null;
}

/** An ISO timestamp, or epoch seconds or milliseconds. */
export function toDate(value: unknown): Date | null {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) {
    return new Date(value > 1e12 ? value : value * 1000);
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? null : at;
  }
  return null;
}

const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;
const UNIT_MS = { seconds: 1000, minutes: 60_000, hours: 3_600_000 } as const;

/** `PT6H` (ISO 8601), `6h`, or a bare number in the configured unit; milliseconds. */
export function toDurationMs(value: unknown, unit: keyof typeof UNIT_MS): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * UNIT_MS[unit] : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return toDurationMs(Number(trimmed), unit);
  const iso = ISO_DURATION.exec(trimmed);
  if (iso && trimmed.length > 1 && trimmed.toUpperCase() !== 'PT') {
    const [w, d, h, m, s] = iso.slice(1).map((part) => Number(part ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const total = (((w * 7 + d) * 24 + h) * 60 + m) * 60_000 + s * 1000;
    return total > 0 ? total : null;
  }
  return parseDuration(trimmed) ?? null;
}

function toTags(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return [
    ...new Set(
      items
        .map(text)
        .filter((t): t is string => t !== null)
        .map((t) => t.trim()),
    ),
  ].filter((t) => t !== '');
}

/** One catalog entry through the configured field mapping; null when it has no name. */
export function mapDataset(
  item: unknown,
  catalog: Pick<CatalogConfig, 'fields' | 'slaUnit'>,
): CatalogDataset | null {
  const { fields } = catalog;
  const name = text(readPath(item, fields.name));
  if (!name) return null;
  const extra: Record<string, string> = {};
  for (const [label, path] of Object.entries(fields.extra)) {
    const raw = readPath(item, path);
    const value = Array.isArray(raw) ? toTags(raw).join(', ') : text(raw);
    if (value) extra[label] = value;
  }
  return {
    name,
    team: fields.team ? text(readPath(item, fields.team)) : null,
    owner: fields.owner ? text(readPath(item, fields.owner)) : null,
    description: fields.description ? text(readPath(item, fields.description)) : null,
    lastUpdated: fields.lastUpdated ? toDate(readPath(item, fields.lastUpdated)) : null,
    freshnessSlaMs: fields.freshnessSla
      ? toDurationMs(readPath(item, fields.freshnessSla), catalog.slaUnit)
      : null,
    tags: fields.tags ? toTags(readPath(item, fields.tags)) : [],
    extra,
  };
}
