/**
 * What the history writer's worker (history/writer-worker.ts) and its host (history/writer-host.ts)
 * share. The durable seq crosses as one Int32 word the host stores after each delivery — a plain
 * atomic store on the delivering thread, no call, no message, no wake-up: the worker looks at it
 * when it has finished its last batch, and every POLL_MS when idle. Seqs cross as their low 32 bits
 * read as a signed distance from a full seq the reader knows (as the snapshotter's do).
 */
import type { ExchangeConfig } from "../engine/exchange.ts";
import type { StoreLocation } from "./config.ts";
import type { AlertRow } from "./monitoring/alerts.ts";

export const HW = {
  /** Low 32 bits of the journal's durable seq, as the host last published it. */
  DURABLE: 0,
  /** 1: finish what is durable and stop; 2: stop now, abandoning a batch the database will not take. */
  STOP: 1,
  /** Low 32 bits of the last seq written to the store. Notified after every batch. */
  DONE: 16,
} as const;

export const WORDS = 32;

/** An idle worker looks for new durable commands this often: the lag it adds, at most. */
export const POLL_MS = 20;

export interface WriterInit {
  sab: SharedArrayBuffer;
  dataDir: string;
  config: ExchangeConfig;
  store: StoreLocation;
  /** The journal's durable seq when the host starts. */
  durable: number;
  batchRows?: number;
  /** The writer thread's nice value (0: leave it as is). Default DEFAULT_NICE. */
  nice?: number;
}

/** History runs below trading: the writer's thread at nice 10 (history/thread-priority.ts). */
export const DEFAULT_NICE = 10;

/** The worker's reports to its host. */
export type WriterReport =
  | { type: "ready"; seq: number; resumedFrom: number }
  | { type: "progress"; seq: number; rows: number }
  | { type: "down"; message: string }
  | { type: "up"; downMs: number }
  /** Alerts just committed to the store, for the doors to push to operators. */
  | { type: "alerts"; alerts: AlertRow[] }
  | { type: "failed"; message: string }
  | { type: "stopped"; seq: number };
