import type { ActionInfo } from '../policies/actionCatalog.ts';
import { bindCommand, type Caller, type Command } from './defineCommand.ts';
import type { HomePanel } from './homePanels.ts';
import type { JobRegistration } from './housekeepingJobs.ts';
import type { OptionChoice, OptionProvider } from './options.ts';
import type { CommandPipeline } from './pipeline.ts';
import type { BlockBuilder } from './views/blocks.ts';

/**
 * One capability (scaling, tasks, datasets, release, freeze, directory, audit, help): its commands, its
 * background work and its App Home panels, all written against the dependencies `D` it declares.
 * The composition root (app/app.ts) builds those dependencies and binds them; a test binds just
 * what the capability needs.
 */
export interface CapabilityDefinition<D> {
  name: string;
  commands: readonly Command<D>[];
  jobs?: readonly JobRegistration<D>[];
  homePanels?: readonly HomePanel<D>[];
  optionProviders?: readonly OptionProvider<D>[];
  /**
   * Actions checked by something other than a command (a button, a task's own action, an
   * exception such as shipping during a freeze). A list is known without the dependencies, so
   * `dpbot policies check` finds it; a function is read from them when bound.
   */
  actions?: readonly ActionInfo[] | ((deps: D) => readonly ActionInfo[]);
}

export interface Capability<D> {
  readonly name: string;
  readonly definition: CapabilityDefinition<D>;
  bind(deps: D): BoundCapability;
}

/** A capability with its dependencies in place, as the registry, the pipeline and Slack use it. */
export interface BoundCapability {
  readonly name: string;
  readonly commands: readonly Command[];
  readonly jobs: readonly ((pipeline: CommandPipeline) => Promise<void>)[];
  readonly homePanels: readonly ((ctx: { caller: Caller }) => Promise<BlockBuilder[]>)[];
  readonly optionProviders: readonly BoundOptionProvider[];
  readonly actions: readonly ActionInfo[];
}

export interface BoundOptionProvider {
  actionId: string;
  options(query: string, ctx: { caller: Caller }): Promise<OptionChoice[]>;
}

export function defineCapability<D>(definition: CapabilityDefinition<D>): Capability<D> {
  return {
    name: definition.name,
    definition,
    bind: (deps) => ({
      name: definition.name,
      commands: definition.commands.map((c) => bindCommand(c, deps)),
      jobs: (definition.jobs ?? []).map((w) => (pipeline: CommandPipeline) => w(deps, pipeline)),
      homePanels: (definition.homePanels ?? []).map(
        (panel) =>
          ({ caller }: { caller: Caller }) =>
            panel({ caller, deps }),
      ),
      optionProviders: (definition.optionProviders ?? []).map((p) => ({
        actionId: p.actionId,
        options: (query: string, { caller }: { caller: Caller }) => p.options(query, { caller, deps }),
      })),
      actions:
        typeof definition.actions === 'function' ? definition.actions(deps) : (definition.actions ?? []),
    }),
  };
}
