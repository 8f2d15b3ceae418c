import { z } from 'zod';

/**
 * An integer with bounds whose messages say "integer" (zod reports range errors of z.int() as
 * plain number ranges).
 */
export function integer(bounds: { min?: number; max?: number } = {}) {
  const range =
    bounds.min !== undefined && bounds.max !== undefined
      ? `an integer from ${bounds.min} to ${bounds.max}`
      : bounds.min !== undefined
        ? `an integer ≥ ${bounds.min}`
        : bounds.max !== undefined
          ? `an integer ≤ ${bounds.max}`
          : 'an integer';
  let schema = z.int({ error: (iss) => (iss.input === undefined ? 'required' : `expected ${range}`) });
  if (bounds.min !== undefined) schema = schema.min(bounds.min, { error: `expected ${range}` });
  if (bounds.max !== undefined) schema = schema.max(bounds.max, { error: `expected ${range}` });
  return schema;
}
