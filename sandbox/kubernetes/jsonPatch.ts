/** JSON Merge Patch (RFC 7386): objects merge key by key, null deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

export interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
}

/**
 * JSON Patch (RFC 6902), the operations a client sends to change a field: add, replace, remove
 * and test. Throws a message fit for a 422 when an operation cannot apply.
 */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new Error('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const raw of ops as JsonPatchOp[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string')
      throw new Error('each JSON patch operation needs "op" and "path"');
    const tokens = raw.path
      .split('/')
      .slice(1)
      .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (tokens.length === 0) {
      if (raw.op === 'replace' || raw.op === 'add') doc = structuredClone(raw.value);
      else throw new Error(`cannot ${raw.op} the whole document`);
      continue;
    }
    const last = tokens.pop() as string;
    let parent: unknown = doc;
    for (const token of tokens) {
      parent =
        isObject(parent) || Array.isArray(parent) ? (parent as Record<string, unknown>)[token] : undefined;
      if (parent === undefined) throw new Error(`path ${raw.path} does not exist`);
    }
    if (!isObject(parent) && !Array.isArray(parent)) throw new Error(`path ${raw.path} does not exist`);
    const container = parent as Record<string, unknown>;
    switch (raw.op) {
      case 'add':
      case 'replace':
        if (raw.op === 'replace' && !(last in container)) throw new Error(`path ${raw.path} does not exist`);
        container[last] = structuredClone(raw.value);
        break;
      case 'remove':
        if (!(last in container)) throw new Error(`path ${raw.path} does not exist`);
        delete container[last];
        break;
      case 'test':
        if (JSON.stringify(container[last]) !== JSON.stringify(raw.value))
          throw new Error(`test failed at ${raw.path}`);
        break;
      default:
        throw new Error(`unsupported JSON patch operation "${raw.op}"`);
    }
  }
  return doc;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
