/**
 * Dotted field paths into simulated objects (`spec.replicas`, `data.executors`), the simulator's
 * own: dpbot's field-path code is what the simulator checks, so it must not borrow it.
 */

/** The value at `path`, or undefined when an object on the way is missing. */
export function getField(object: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((current, key) => {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    return (current as Record<string, unknown>)[key];
  }, object);
}

/** A copy of `object` with `value` at `path`, objects on the way created or replaced as needed. */
export function setField<T>(object: T, path: string, value: unknown): T {
  const copy = structuredClone(object) as Record<string, unknown>;
  const keys = path.split('.');
  let parent = copy;
  for (const key of keys.slice(0, -1)) {
    const child = parent[key];
    const next =
      typeof child === 'object' && child !== null && !Array.isArray(child)
        ? (child as Record<string, unknown>)
        : {};
    parent[key] = next;
    parent = next;
  }
  parent[keys.at(-1) ?? path] = value;
  return copy as T;
}
