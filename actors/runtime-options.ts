import type { ExchangeConfig } from "../engine/exchange.ts";
import type { Logger } from "../log/logger.ts";
import type { SyncerWake } from "./journal/syncer.ts";

/** How a Runtime is started: the data directory, snapshots and hashes, the journal's sync, and test hooks. */
export interface RuntimeOptions {
  config: ExchangeConfig;
  dataDir: string;
  /** Commands between snapshots (0: none). Default 100,000. */
  snapshotEvery?: number;
  /**
   * Commands between state hashes written to hashes.log (0: none). Default 100,000. A hash is over
   * the serialized state, so it is taken from the snapshot's bytes when the two fall due together.
   */
  hashEvery?: number;
  /** Snapshots kept on disk. Default 3. */
  keepSnapshots?: number;
  /**
   * Who serializes the periodic snapshots and state hashes. "replica" (default): the snapshotter
   * worker (actors/snapshot/snapshotter.ts), which keeps its own copy of the state by replaying the durable
   * journal and takes them at exact multiples of snapshotEvery / hashEvery; the engine thread never
   * stalls for them. "inline": the engine thread, at the end of the batch that reaches them (a
   * stall of hundreds of ms once the state has grown). Explicit snapshot() calls are inline either way.
   */
  snapshotter?: "replica" | "inline";
  /**
   * fdatasync on every group commit, on the syncer thread. Default true; off only for tests and
   * benches that say so (no syncer then, and a batch is delivered as soon as it is written).
   */
  fsync?: boolean;
  /** Journal segment size (default 64 MiB); small ones let tests roll segments over. */
  segmentBytes?: number;
  /**
   * Flush by itself once per event-loop turn after a submit. Default true. A host that drives
   * flush() from its own loop (the engine worker, which never yields to its event loop) sets false.
   */
  autoFlush?: boolean;
  /** Recovery figures, engine stops and snapshot failures (docs/logging.md). */
  log?: Logger;
  /** Also notify this word after every fdatasync (the engine worker parks on its command ring's cursor). */
  syncerWake?: SyncerWake;
  /** Tests only: a slow or failing disk, injected in the syncer (ms before each fdatasync; EIO after n syncs). */
  syncerFaults?: { delayMs?: number; failAfter?: number };
  /** Tests only: the snapshotter replica starts held at the snapshot it loaded until released. */
  snapshotterHold?: boolean;
  /**
   * This process already holds the data directory's lock on another thread (the engine worker's
   * host takes it on the main thread): check that, instead of taking it. Default false: start()
   * takes the lock before it opens anything and close() releases it.
   */
  lockHeld?: boolean;
  /**
   * Send TICK / END_OF_DAY when the engine's next deadline falls due (actors/deadline-timer.ts).
   * Default true; tests of the timer's absence and tools that drive time themselves set false. A
   * host without auto-flush (the engine worker) runs no timer here: its WorkerHost does.
   */
  deadlines?: boolean;
  /**
   * The engine's metrics buffer (actors/engine-metrics.ts): the syncer, this runtime and the
   * snapshotter replica write their measurements there for /metrics. Without it none are kept.
   */
  metrics?: SharedArrayBuffer;
  /** Tests only: the sequencer clock's time source (µs since the epoch), e.g. the wall clock shifted to just before a session close. */
  clock?: () => number;
}
