import type { Portfolio } from "../engine/pnl.ts";

/** An account as the engine held it after command `seq` (undefined: no such account). */
export interface PortfolioRead {
  seq: number;
  portfolio: Portfolio | undefined;
}
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

/**
 * The engine's host as whoever builds the exchange sees it (app/exchange.ts), on this thread
 * (Runtime) or in a worker (WorkerHost): the Sequencer the doors use, plus what stopping needs.
 */
export interface EngineHost extends Sequencer {
  /** Resolves once the periodic snapshots and hash lines due up to the last seq so far are on disk. */
  settled(): Promise<void>;
  /**
   * Executes and delivers what was submitted, closes the journal, releases the data directory and
   * waits for the snapshots and hashes due by then: the directory is complete when it resolves.
   * With `snapshot`, a snapshot at the last seq is written first (unless one is there already or
   * the engine stopped after a failure), so the next start replays nothing: a maintenance stop.
   */
  shutdown(o?: { snapshot?: boolean }): Promise<void>;
  /**
   * An account's cash and positions valued at the mark (engine/pnl.ts), as the engine holds them
   * after everything submitted before this call. Resolves only once every command the read
   * reflects has been delivered (durable, and reported on the doors: actors/delivered-gate.ts),
   * with the last seq it reflects. Undefined portfolio: no such account. Rejects with
   * EngineStoppedError when the engine stops or is closing first.
   */
  portfolio(account: number): Promise<PortfolioRead>;
}
