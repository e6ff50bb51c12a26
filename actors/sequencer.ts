import type { Command } from "../engine/commands.ts";
import type { EventBuffer } from "../engine/events.ts";

// The contract of the core as its users see it, whichever host runs the engine (Runtime on the main
// thread, WorkerHost on a worker). Apart from both hosts so what they start (the deadline timer)
// and what they serve (the doors) can name it without importing a host.

/**
 * What a submitter hears back: the command's sequence number and its events, once the journal
 * holds it durably. `token` is the submitter's own tag (a session and request id, say).
 */
export type Delivery = (seq: number, token: number, events: EventBuffer, from: number, to: number, time: number) => void;

/** What a door needs of the core, whichever thread the engine runs on. */
export interface Sequencer {
  submit(cmd: Command, token?: number): void;
  onDelivery(fn: Delivery): () => void;
  readonly lastSeq: number;
  readonly stopped: boolean;
  /**
   * Calls `fn` once, with the cause, when the engine stops after a failure (a command threw, a
   * journal write or fdatasync failed). Called from inside the sequencer: a listener must not call
   * back into it before the current task ends (schedule its work instead).
   */
  onStop(fn: (failure: Error) => void): () => void;
  close(): void | Promise<unknown>;
}
