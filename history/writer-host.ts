/**
 * Starts the history writer's worker and keeps what the rest of the process knows of it: how far
 * it has written, whether the database is down, and the durable seq it is to follow, which the
 * exchange publishes after each delivery (publish(): one atomic store, nothing else).
 *
 * A database outage raises an alert (an error in the log, `status.down`) and delays history; it
 * never stops trading. A writer that fails for good (a bug, a store from another directory) is
 * logged as an error and leaves the exchange trading without history, which `bourse history
 * status` and /ready will show; `bourse history rebuild` repairs the store offline.
 */
import type { Logger } from "../log/logger.ts";
import { describeLocation } from "./config.ts";
import { HistoryWriterFailed } from "./history-errors.ts";
import type { AlertRow } from "./monitoring/alerts.ts";
import { HW, WORDS, type WriterInit, type WriterReport } from "./writer-protocol.ts";

export interface HistoryStatus {
  state: "starting" | "running" | "down" | "failed" | "stopped";
  /** Last seq in the store. */
  seq: number;
  /** Rows written since start. */
  rows: number;
  /** Wall-clock ms when the database went away (0 when it is up). */
  downSince: number;
  lastError: string;
}

export interface HostOptions extends Omit<WriterInit, "sab"> {
  log?: Logger;
}

export class HistoryWriterHost {
  readonly status: HistoryStatus = { state: "starting", seq: 0, rows: 0, downSince: 0, lastError: "" };
  private readonly cells: Int32Array;
  private readonly worker: Worker;
  private readonly stopped: Promise<void>;
  private readonly settled: Promise<void>;
  private readonly alertListeners: ((alerts: AlertRow[]) => void)[] = [];

  private constructor(private readonly o: HostOptions) {
    const sab = new SharedArrayBuffer(WORDS * 4);
    this.cells = new Int32Array(sab);
    Atomics.store(this.cells, HW.DURABLE, o.durable | 0);
    this.worker = new Worker(new URL("./writer-worker.ts", import.meta.url).href);
    let settle = () => {};
    let stopped = () => {};
    this.settled = new Promise((r) => (settle = r));
    this.stopped = new Promise((r) => (stopped = r));
    this.worker.onmessage = (e: MessageEvent<WriterReport>) => {
      this.on(e.data);
      if (e.data.type !== "progress" && e.data.type !== "alerts") settle();
      if (e.data.type === "stopped") stopped();
    };
    this.worker.onerror = (e) => {
      this.on({ type: "failed", message: e.message });
      settle();
      stopped();
    };
    const { log: _, ...init } = o;
    this.worker.postMessage({ ...init, sab } satisfies WriterInit);
  }

  /** Starts the worker; resolves once it is writing, or has said the database is down (trading goes on either way). */
  static async start(o: HostOptions): Promise<HistoryWriterHost> {
    const h = new HistoryWriterHost(o);
    await h.settled;
    if (h.status.state === "failed") {
      await h.stop();
      throw new HistoryWriterFailed(`the history writer could not start: ${h.status.lastError}`);
    }
    return h;
  }

  /** Calls `listener` with the alerts of each batch once the store has them (the WebSocket door pushes them to operators). */
  onAlerts(listener: (alerts: AlertRow[]) => void): () => void {
    this.alertListeners.push(listener);
    return () => {
      const i = this.alertListeners.indexOf(listener);
      if (i >= 0) this.alertListeners.splice(i, 1);
    };
  }

  /** The journal is durable through `seq`. Called on the delivering thread for every delivery: one atomic store. */
  publish(seq: number): void {
    Atomics.store(this.cells, HW.DURABLE, seq | 0);
  }

  /** Last seq written, read as a distance back from `near` (a full seq at or after it, e.g. the engine's last). */
  done(near: number): number {
    return near - ((near - Atomics.load(this.cells, HW.DONE)) | 0);
  }

  /** Resolves once the store holds every command through `seq`, or after `timeoutMs` (false then). */
  async reach(seq: number, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const word = Atomics.load(this.cells, HW.DONE);
      if (this.done(seq) >= seq) return true;
      if (this.status.state === "failed" || this.status.state === "stopped") return false;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const w = Atomics.waitAsync(this.cells, HW.DONE, word, Math.min(left, 200));
      if (w.async) await w.value;
    }
  }

  /**
   * Lets the writer finish what is durable, then stops it. A database that is down does not hold up
   * a shutdown past `graceMs`: the batch in hand is abandoned, and written at the next start from the journal.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.status.state === "stopped") return;
    Atomics.store(this.cells, HW.STOP, this.status.state === "down" ? 2 : 1);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) => (timer = setTimeout(() => r("late"), graceMs)));
    if ((await Promise.race([this.stopped, late])) === "late") {
      Atomics.store(this.cells, HW.STOP, 2);
      if ((await Promise.race([this.stopped, new Promise<"late">((r) => setTimeout(() => r("late"), 1_000))])) === "late") {
        this.o.log?.error("the history writer did not stop in time; terminated (it resumes from the store's progress at the next start)");
      }
    }
    clearTimeout(timer);
    this.worker.terminate();
    this.status.state = "stopped";
  }

  private on(r: WriterReport): void {
    const s = this.status;
    const log = this.o.log;
    switch (r.type) {
      case "ready":
        s.state = "running";
        s.seq = r.seq;
        log?.info("history writer started", { store: describeLocation(this.o.store), resumedFrom: r.resumedFrom, durable: this.o.durable });
        break;
      case "progress":
        s.seq = r.seq;
        s.rows = r.rows;
        break;
      case "down":
        s.state = "down";
        s.downSince = Date.now();
        s.lastError = r.message;
        // The alert: history is behind until the database is back; trading goes on.
        log?.error("history store unreachable: history is delayed, trading continues", { store: describeLocation(this.o.store), err: r.message });
        break;
      case "up":
        s.state = "running";
        s.downSince = 0;
        log?.info("history store reachable again", { store: describeLocation(this.o.store), downMs: r.downMs });
        break;
      case "failed":
        s.state = "failed";
        s.lastError = r.message;
        log?.error("history writer failed: the exchange trades on without history until it is repaired (bourse history rebuild)", { err: r.message });
        break;
      case "alerts":
        for (const l of this.alertListeners) {
          try {
            l(r.alerts);
          } catch (err) {
            log?.error("an alert listener threw", { err });
          }
        }
        break;
      case "stopped":
        s.state = "stopped";
        s.seq = r.seq || s.seq;
        break;
    }
  }
}
