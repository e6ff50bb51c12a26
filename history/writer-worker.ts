/**
 * The history writer's thread: opens the store, then writes whatever the journal has made durable
 * (history/writer.ts), for as long as the host runs. Off the sockets' thread and off the engine's:
 * the replica, the row building and the database all cost this thread alone.
 */
import { openHistoryStore } from "./open-store.ts";
import { lowerThreadPriority } from "./thread-priority.ts";
import type { HistoryStore } from "./store.ts";
import { HistoryWriter } from "./writer.ts";
import { DEFAULT_NICE, HW, POLL_MS, type WriterInit, type WriterReport } from "./writer-protocol.ts";

declare const self: Worker;

const report = (r: WriterReport) => self.postMessage(r);

/** Commands written between two looks at the stop word and two progress reports. */
const STEP = 50_000;

self.onmessage = async (e: MessageEvent<WriterInit>) => {
  const o = e.data;
  const c = new Int32Array(o.sab);
  const stop = () => Atomics.load(c, HW.STOP);
  // History yields the CPU to trading (history/thread-priority.ts): nice 10 unless configured.
  if (o.nice !== 0) lowerThreadPriority(o.nice ?? DEFAULT_NICE);
  let store: HistoryStore | null = null;
  let writer: HistoryWriter | null = null;
  try {
    // A database that is not there yet delays history, never the exchange: keep trying until it answers or the host stops.
    for (let wait = 100, down = false; writer === null; wait = Math.min(wait * 2, 5_000)) {
      try {
        store = await openHistoryStore(o.store);
        writer = await HistoryWriter.open({ dataDir: o.dataDir, config: o.config, store, batchRows: o.batchRows, onDown: (err) => report({ type: "down", message: err.message }), onUp: (downMs) => report({ type: "up", downMs }), onAlerts: (alerts) => report({ type: "alerts", alerts }) }, o.durable);
        if (down) report({ type: "up", downMs: 0 });
      } catch (err) {
        await store?.close().catch(() => {});
        store = null;
        if (!isUnreachable(err)) throw err;
        if (!down) report({ type: "down", message: (err as Error).message });
        down = true;
        if (stop() !== 0) return;
        await Bun.sleep(wait);
      }
    }
    const w = writer;
    report({ type: "ready", seq: w.seq, resumedFrom: w.resumedFrom.seq });
    Atomics.store(c, HW.DONE, w.seq | 0);
    for (;;) {
      const stopping = stop();
      const durable = w.seq + ((Atomics.load(c, HW.DURABLE) - (w.seq | 0)) | 0);
      if (durable > w.seq) {
        // A long backlog (a first start on an old journal) goes in steps, so progress shows and a stop is heard between them.
        const before = w.seq;
        await w.catchUp(Math.min(durable, w.seq + STEP), () => stop() === 2);
        Atomics.store(c, HW.DONE, w.seq | 0);
        Atomics.notify(c, HW.DONE);
        report({ type: "progress", seq: w.seq, rows: w.rowsWritten });
        if (stop() === 2) break;
        // Published but not yet readable in the journal: wait, do not spin.
        if (w.seq === before) await Bun.sleep(POLL_MS);
      } else if (stopping !== 0) break;
      else await Bun.sleep(POLL_MS);
    }
  } catch (err) {
    report({ type: "failed", message: (err as Error).message ?? String(err) });
  } finally {
    writer?.close();
    await store?.close().catch(() => {});
    report({ type: "stopped", seq: writer?.seq ?? 0 });
  }
};

/** A database that refuses the connection or drops it: worth waiting for. Anything else is a fault to report. */
function isUnreachable(err: unknown): boolean {
  const text = `${(err as { code?: string }).code ?? ""} ${(err as Error).message ?? ""}`;
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|connection|closed|terminat|starting up|shutting down/i.test(text);
}
