import type { LogRecord } from "../log/logger.ts";
import type { RecoveredState } from "./recovered-state.ts";
import type { RuntimeOptions } from "./runtime-options.ts";
import type { Portfolio } from "../engine/pnl.ts";

/** Command types that steer the engine worker; they are never sequenced or journaled. */
export const CONTROL = {
  SNAPSHOT: 0xfff0,
  /** Read an account's portfolio (its `account` field) after everything submitted before it; answered by a "portfolio" message with the slot's token. */
  PORTFOLIO: 0xfff1,
  /** A maintenance stop's snapshot at the last seq, skipped if the newest is already there (Runtime.finalSnapshot). */
  FINAL_SNAPSHOT: 0xfff2,
  CLOSE: 0xffff,
} as const;

/**
 * Event type of the record that ends a command's events in the event ring (engine types start at
 * 1). Its slot 2 carries the submitter's token, slot 5 the command's engine time, slot 6 the count,
 * slots 7 and 8 the engine's next deadline and its END_OF_DAY symbol (−1: a TICK) as of the delivery.
 */
export const END_EVENT = 0;

export interface WorkerInit {
  cmdSab: SharedArrayBuffer;
  evSab: SharedArrayBuffer;
  options: Omit<RuntimeOptions, "log">;
}

export type WorkerMessage =
  | { kind: "ready"; lastSeq: number; recovered: RecoveredState; snapshotter: SharedArrayBuffer | null; deadline: number; deadlineSymbol: number }
  /** A record the worker's Runtime logged, already cleaned (plain data); the host writes it with its own logger. */
  | { kind: "log"; record: LogRecord }
  /** `operator`: a DataDirError (actors/data-dir-errors.ts), whose message is for the operator as it is. */
  | { kind: "failed"; message: string; operator?: boolean; corrupt?: { file: string; offset: number; detail: string } }
  /** The runtime is closed; lastSeq is the last seq delivered (after a journal failure, written batches are not). */
  | { kind: "closed"; lastSeq: number }
  /** The answer to a PORTFOLIO control command (null: no such account). */
  | { kind: "portfolio"; token: number; seq: number; portfolio: Portfolio | null };
