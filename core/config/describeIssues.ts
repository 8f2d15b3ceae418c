import type { z } from 'zod';

/** `teams[2].maxReplicas` from zod's path array. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function describeExpected(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (/received undefined$/.test(issue.message)) return 'missing: it is required';
      return issue.expected === 'int' ? 'expected an integer' : `expected ${article(issue.expected)}`;
    case 'too_small': {
      const bound = `${issue.inclusive === false ? '>' : '≥'} ${String(issue.minimum)}`;
      if (issue.origin === 'string') return `expected at least ${String(issue.minimum)} character(s)`;
      if (issue.origin === 'array') return `expected at least ${String(issue.minimum)} item(s)`;
      return `expected ${issue.origin === 'int' ? 'an integer' : 'a number'} ${bound}`;
    }
    case 'too_big': {
      const bound = `${issue.inclusive === false ? '<' : '≤'} ${String(issue.maximum)}`;
      if (issue.origin === 'string') return `expected at most ${String(issue.maximum)} character(s)`;
      if (issue.origin === 'array') return `expected at most ${String(issue.maximum)} item(s)`;
      return `expected ${issue.origin === 'int' ? 'an integer' : 'a number'} ${bound}`;
    }
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    default:
      return issue.message;
  }
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * One readable line per problem: `teams[2].maxReplicas: expected an integer ≥ 0`. Messages set
 * explicitly on a schema (`{ error: '...' }`) win over the generic description.
 */
export function describeIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): string[] {
  return error.issues.map((issue) => {
    const path = formatPath([...prefix, ...issue.path]);
    const custom =
      issue.message && !issue.message.startsWith('Invalid') && !/^(Too|Unrecognized)/.test(issue.message);
    const text = custom && issue.code !== 'unrecognized_keys' ? issue.message : describeExpected(issue);
    return path ? `${path}: ${text}` : text;
  });
}
