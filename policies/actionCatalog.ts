/** What an action is, so policy files can be checked against the actions dpbot really has. */
export interface ActionInfo {
  action: string;
  summary: string;
  /** Resource kinds the action is checked against (`team`, `task`, ...); empty: any. */
  resourceKinds: readonly string[];
  /** Limit names a grant of this action may set (`maxReplicas`). */
  limits: readonly string[];
}

export class ActionCatalog {
  readonly #actions = new Map<string, ActionInfo>();

  register(info: ActionInfo): void {
    const existing = this.#actions.get(info.action);
    if (!existing) {
      this.#actions.set(info.action, info);
      return;
    }
    this.#actions.set(info.action, {
      ...existing,
      resourceKinds: [...new Set([...existing.resourceKinds, ...info.resourceKinds])],
      limits: [...new Set([...existing.limits, ...info.limits])],
    });
  }

  get(action: string): ActionInfo | undefined {
    return this.#actions.get(action);
  }

  all(): ActionInfo[] {
    return [...this.#actions.values()].sort((a, b) => a.action.localeCompare(b.action));
  }

  /** Every action an action pattern (`workers.*`) covers. */
  covered(pattern: string): ActionInfo[] {
    if (pattern === '*') return this.all();
    if (pattern.endsWith('.*')) {
      const prefix = pattern.slice(0, -1);
      return this.all().filter((a) => a.action.startsWith(prefix));
    }
    const one = this.#actions.get(pattern);
    return one ? [one] : [];
  }
}
