import type { ModalView } from '@slack/types';
import type { Entry } from './defineCommand.ts';
import type { CallerRef } from './identity.ts';
import type { Message, MessageHandle, Responder } from './message.ts';

export interface InvocationBase {
  requestId?: string;
  entry: Entry;
  caller: CallerRef;
  channel?: string | null;
  responder: Responder;
  /**
   * Slack's acknowledgement, which must come within 3 seconds. The pipeline calls it exactly
   * once: as soon as the attempt is recorded, carrying the reply when that is the answer (a
   * validation error, a denial); a confirmation question or a result comes after it.
   */
  ack?: (message?: Message) => Promise<void>;
  /**
   * Opens a modal (Slack, with the request's trigger_id); absent where there are none. Resolves
   * to false when the modal could not open (the trigger was spent or too old), and the command
   * answers in text instead.
   */
  openModal?: (view: ModalView) => Promise<boolean>;
  /**
   * A form's submission: the acknowledgement waits for the command's first answer rather than
   * going out once the attempt is recorded, so that a problem with a field can be shown under it
   * while the form stays open. The surface still acknowledges at its deadline if nothing came.
   */
  holdAck?: boolean;
}

export interface TextInvocation extends InvocationBase {
  /** The command text after `/dp`: `scale team-x 8 --reason "backlog"`. */
  text: string;
  /**
   * Set for actions that must happen once (a button on a message): the first request with this
   * key runs; later ones are told who did it and when. Freed if the action does not happen.
   */
  onceKey?: string;
}

export interface ActionInvocation extends InvocationBase {
  actionId: string;
  value: string;
  /** The message the button was on, so the outcome can replace the buttons. */
  source?: MessageHandle;
  /** Identifies this button on this message (channel, message, block, action), for once-only buttons. */
  buttonKey?: string;
}

/** What happened to a request, for callers that need to know (tests, the console, metrics). */
export type Outcome =
  | 'ok'
  | 'invalid'
  | 'denied'
  | 'duplicate'
  | 'awaiting_confirmation'
  | 'awaiting_approval'
  | 'approval_recorded'
  | 'cancelled'
  | 'expired'
  | 'rejected'
  | 'not_found'
  | 'conflict'
  | 'error'
  | 'audit_unavailable';
