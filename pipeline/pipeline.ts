import { randomUUID } from 'node:crypto';
import { type SpanHandle, tracing } from '../core/tracing.ts';
import type { PendingAction } from '../db/stores/pendingStore.ts';
import { commandContext } from './accepted.ts';
import { type Acker, acker } from './acker.ts';
import { AcksFirst, MAX_WAIT_BEHIND_ACKS_MS } from './acksFirst.ts';
import { admit } from './admit.ts';
import { answerApproval } from './approvals.ts';
import { answerConfirmation, askConfirmation } from './confirmations.ts';
import type { ActionInvocation, Outcome, TextInvocation } from './invocation.ts';
import type { MessageHandle, Responder } from './message.ts';
import { commandText, parse } from './parse.ts';
import { auditUnknownClick, expirePending } from './pendingRequests.ts';
import type { PipelineDeps } from './pipelineDeps.ts';
import { rehearsalDeps } from './rehearsal.ts';
import { tracedAcker, tracedContext, tracedDeps } from './traced.ts';
import {
  APPROVE_ACTION,
  CANCEL_ACTION,
  CONFIRM_ACTION,
  DENY_ACTION,
  failedMessage,
  invalidMessage,
  PAGE_ACTION,
  RUN_ACTION,
  VIEW_ACTION,
} from './views/common.ts';

export type { ActionInvocation, Outcome, TextInvocation } from './invocation.ts';

/**
 * The one path every entry point takes: parse → validate → identify → authorize → audit the
 * attempt → confirm / approve when asked → run → audit the outcome → reply. Errors become
 * replies and audit rows here and nowhere else. Each stage is its own module (parse, admit,
 * confirmations, approvals, execute); this class strings them together and tracks the requests
 * in flight.
 */
export class CommandPipeline {
  private readonly deps: PipelineDeps;
  readonly #given: PipelineDeps;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #acksFirst: AcksFirst;

  constructor(deps: PipelineDeps) {
    // With tracing on, each stage these carry out is a span of the request's trace.
    this.#given = deps;
    this.deps = tracedDeps(deps);
    this.#acksFirst = deps.acksFirst ?? new AcksFirst(MAX_WAIT_BEHIND_ACKS_MS);
  }

  /** Requests being handled now (for graceful shutdown). */
  get inflight(): number {
    return this.#inflight.size;
  }

  /**
   * Waits for the requests in progress to finish (their outcomes are audited), at most
   * `timeoutMs`; resolves true when none is left.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inflight.size > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        }),
      ]);
      clearTimeout(timer);
    }
    return this.#inflight.size === 0;
  }

  #track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    void work.finally(() => this.#inflight.delete(work)).catch(() => undefined);
    return work;
  }

  /**
   * Reads every command's examples, and `help`, as a request's text is read (pure, no I/O): done
   * at start, so that the first person's command is not the one that pays for compiling it.
   */
  warm(): void {
    const texts = ['help', ...this.deps.registry.all().flatMap((command) => command.examples)];
    for (const text of texts) parse(this.deps.registry, commandText(text), { command: 'unknown' });
  }

  /**
   * The same pipeline for the start's rehearsal of a command (see pipeline/rehearsal.ts): every
   * stage runs as it does for a person, and none leaves an audit row, a count or a log line.
   */
  rehearsal(): CommandPipeline {
    return new CommandPipeline(rehearsalDeps(this.#given));
  }

  handleText(inv: TextInvocation): Promise<Outcome> {
    return this.#track(this.#handleTextSafely(inv));
  }

  /**
   * One span per request (a child of the HTTP request's when Slack's came over HTTP), named for its
   * command once parsed; its stages' spans are its children.
   */
  #request(
    inv: TextInvocation | ActionInvocation,
    work: (requestId: string, span: SpanHandle) => Promise<Outcome>,
  ): Promise<Outcome> {
    const requestId = inv.requestId ?? randomUUID();
    const attributes = { 'dpbot.request_id': requestId, 'dpbot.entry': inv.entry };
    return tracing().span('dpbot request', attributes, async (span) => {
      const outcome = await work(requestId, span);
      span.set({ 'dpbot.outcome': outcome });
      return outcome;
    });
  }

  async #handleTextSafely(inv: TextInvocation): Promise<Outcome> {
    return this.#request(inv, (requestId, span) => this.#handleTextAs(inv, requestId, span));
  }

  async #handleTextAs(inv: TextInvocation, requestId: string, span: SpanHandle): Promise<Outcome> {
    const ack = tracedAcker(acker(inv, this.deps.log));
    const stat = { command: 'unknown' };
    const received = performance.now();
    let outcome: Outcome = 'error';
    const acked = inv.ack ? this.#acksFirst.arrived() : () => undefined;
    try {
      outcome = await this.#handleText(inv, requestId, received, ack, stat, acked);
      return outcome;
    } catch (error) {
      return this.#unexpected(ack, requestId, error);
    } finally {
      span.rename(`dpbot ${stat.command}`);
      span.set({ 'dpbot.command': stat.command });
      this.deps.metrics.commandFinished(stat.command, outcome, (performance.now() - received) / 1000);
      await ack.done();
      acked();
    }
  }

  async #handleText(
    inv: TextInvocation,
    requestId: string,
    started: number,
    ack: Acker,
    stat: { command: string },
    acked: () => void,
  ): Promise<Outcome> {
    const text = commandText(inv.text);
    const parsed = parse(this.deps.registry, text, stat);
    const accepted = await admit(this.deps, { inv, ack, requestId, text, started }, parsed);
    if (typeof accepted === 'string') return accepted;
    // Recorded and allowed: Slack gets its answer now. A confirmation question, an approval
    // request or the result follows through the responder; the command's own reads (the
    // Kubernetes object a scale plans against) never hold the acknowledgement up — except a
    // form's, whose answer may be "this field is wrong" (its surface keeps the deadline).
    if (!inv.holdAck) await ack.done();
    acked();
    // A form's own acknowledgement is still open and counts as one being prepared: waiting
    // behind acknowledgements would wait for itself, until its deadline.
    if (!inv.holdAck) await this.#acksFirst.turn();
    return askConfirmation(this.deps, accepted, tracedContext(commandContext(this.deps, accepted)));
  }

  /** A button press: run a command as the clicker, or answer a confirmation or an approval. */
  handleAction(inv: ActionInvocation): Promise<Outcome> {
    return this.#track(this.#handleAction(inv));
  }

  async #handleAction(inv: ActionInvocation): Promise<Outcome> {
    const { actionId, value, source, buttonKey, ...base } = inv;
    if (actionId === PAGE_ACTION) {
      // The page replaces the one it was turned from, where Slack can say which that was.
      return this.#handleTextSafely({
        ...base,
        entry: 'button',
        text: value,
        ...(source ? { responder: inPlace(source) } : {}),
      });
    }
    if (actionId === RUN_ACTION || actionId === VIEW_ACTION) {
      return this.#handleTextSafely({
        ...base,
        entry: 'button',
        text: value,
        // Run buttons act once per message; view buttons (pages, refresh) may be pressed again.
        ...(actionId === RUN_ACTION && buttonKey ? { onceKey: `button:${buttonKey}` } : {}),
      });
    }
    return this.#request(inv, (requestId) => this.#answer(inv, requestId));
  }

  async #answer(inv: ActionInvocation, requestId: string): Promise<Outcome> {
    const { actionId } = inv;
    const ack = tracedAcker(acker(inv, this.deps.log));
    try {
      if (actionId === CONFIRM_ACTION || actionId === CANCEL_ACTION) {
        return await answerConfirmation(this.deps, inv, actionId === CONFIRM_ACTION, ack);
      }
      if (actionId === APPROVE_ACTION || actionId === DENY_ACTION) {
        return await answerApproval(this.deps, inv, actionId === APPROVE_ACTION, ack);
      }
      const problem = `this button (${actionId}) is not one dpbot knows; it may be from an older version`;
      if (await auditUnknownClick(this.deps, inv, ack, 'unknown_action', problem))
        await ack.say(invalidMessage(problem));
      return 'invalid';
    } catch (error) {
      return this.#unexpected(ack, requestId, error);
    } finally {
      await ack.done();
    }
  }

  /** Marks overdue confirmations and approvals expired and records each; run periodically. */
  expirePending(): Promise<PendingAction[]> {
    return expirePending(this.deps);
  }

  /**
   * Anything not turned into a reply on the way (the database gone, a bug): fail closed, tell the
   * caller plainly, keep the details in the log.
   */
  async #unexpected(ack: Acker, requestId: string, error: unknown): Promise<Outcome> {
    this.deps.log.error({ err: error, requestId }, 'request failed before it could be handled');
    try {
      await ack.say(
        failedMessage(
          `dpbot could not handle this request (request ${requestId}), so nothing was done. ` +
            'It may be unable to reach its database; try again in a minute, and tell the dpbot administrators if it persists.',
        ),
      );
    } catch (replyError) {
      this.deps.log.error({ err: replyError, requestId }, 'could not tell the caller about the failure');
    }
    return 'error';
  }
}

/** A responder whose every message replaces `source` (the message a page button sat on). */
function inPlace(source: MessageHandle): Responder {
  return {
    async send(message) {
      await source.update(message);
      return { ref: source.ref, update: (next) => source.update(next) };
    },
  };
}
