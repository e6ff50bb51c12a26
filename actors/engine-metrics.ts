import { Histogram, LATENCY_BOUNDS, SIZE_BOUNDS } from "../metrics/histogram.ts";

/**
 * The engine's own measurements, in one SharedArrayBuffer of Float64 cells that every thread of the
 * engine writes and the main thread reads at scrape time (docs/metrics.md): the syncer observes
 * each fdatasync and how many commands it covered, the engine thread stores how many batches wait
 * for a sync, the snapshotter replica observes each snapshot's duration. Each cell has one writer.
 * The buffer is made by whoever builds the exchange and travels with the runtime's options, so it
 * reaches the engine worker, its syncer and its replica alike (workers: 0 or 1).
 */
const FSYNC_AT = 0;
const BATCH_AT = FSYNC_AT + Histogram.cells([...LATENCY_BOUNDS]);
const SNAPSHOT_AT = BATCH_AT + Histogram.cells([...SIZE_BOUNDS]);
const CELL = SNAPSHOT_AT + Histogram.cells([...LATENCY_BOUNDS]);
export const ENGINE_CELL = {
  /** Batches written whose fdatasync has not completed (the engine thread). */
  SYNC_QUEUE_BATCHES: CELL,
  /** Commands in those batches. */
  SYNC_QUEUE_COMMANDS: CELL + 1,
  /** Wall-clock ms (epoch) when the replica last wrote a snapshot, 0 before the first. */
  SNAPSHOT_LAST_MS: CELL + 2,
  /** The seq of that snapshot. */
  SNAPSHOT_SEQ: CELL + 3,
} as const;
const CELLS = CELL + 4;

export class EngineMetrics {
  readonly cells: Float64Array;
  readonly fsync: Histogram;
  /** Commands each fdatasync covered (the group commit's batch). */
  readonly batch: Histogram;
  readonly snapshot: Histogram;

  constructor(readonly sab: SharedArrayBuffer = new SharedArrayBuffer(CELLS * 8)) {
    this.cells = new Float64Array(sab);
    this.fsync = new Histogram(LATENCY_BOUNDS, this.cells, FSYNC_AT);
    this.batch = new Histogram(SIZE_BOUNDS, this.cells, BATCH_AT);
    this.snapshot = new Histogram(LATENCY_BOUNDS, this.cells, SNAPSHOT_AT);
  }
}
