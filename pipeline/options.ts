import type { Caller } from './defineCommand.ts';

export interface OptionChoice {
  text: string;
  value: string;
}

/**
 * Suggestions for an external select (Slack's block_suggestion), e.g. dataset names completing
 * as the user types in a task form. `actionId` is the select's action id.
 */
export interface OptionProvider<D = unknown> {
  actionId: string;
  options(query: string, ctx: { caller: Caller; deps: D }): Promise<OptionChoice[]>;
}
