import { EngineStoppedError } from "./stop-listeners.ts";
import type { Sequencer } from "./sequencer.ts";

/**
 * Holds back a read of the engine's state until every command the read reflects has been
 * delivered — made durable by the journal and reported to the doors. A read between commands
 * (EngineHost.portfolio) sees what the engine has executed, which runs up to a group commit ahead
 * of the journal; handing that out at once would let a balance reflect a fill that a crash then
 * erases. Waiting for the delivery of the read's seq keeps the rule that no result leaves before
 * fdatasync, at the cost of at most one group commit of latency.
 *
 * Reads arrive in seq order (each host reads between commands, in its own order), so the waiting
 * reads are a FIFO and a delivery releases a prefix of it.
 */
export class DeliveredGate {
  private delivered: number;
  private readonly waiting: { seq: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private head = 0;
  private failure: Error | null = null;

  /** `delivered`: the last seq already delivered (the recovered seq at start). */
  constructor(host: Pick<Sequencer, "onDelivery" | "onStop">, delivered: number) {
    this.delivered = delivered;
    host.onDelivery((seq) => {
      this.delivered = seq;
      if (this.head < this.waiting.length) this.release();
    });
    host.onStop((e) => {
      this.failure = e;
      // The state those reads saw may hold commands the journal never got: nobody may see it.
      for (let i = this.head; i < this.waiting.length; i++) this.waiting[i]!.reject(new EngineStoppedError(e));
      this.waiting.length = 0;
      this.head = 0;
    });
  }

  /** Resolves once `seq` has been delivered; rejects with EngineStoppedError if the engine stops first. */
  after(seq: number): Promise<void> {
    if (seq <= this.delivered) return Promise.resolve();
    if (this.failure !== null) return Promise.reject(new EngineStoppedError(this.failure));
    return new Promise((resolve, reject) => this.waiting.push({ seq, resolve, reject }));
  }

  private release(): void {
    const w = this.waiting;
    while (this.head < w.length && w[this.head]!.seq <= this.delivered) w[this.head++]!.resolve();
    if (this.head === w.length) {
      w.length = 0;
      this.head = 0;
    }
  }
}
