/**
 * The scheduled reconciliation's thread (app/reconcile-job.ts): one day's run (reconcile/), off
 * the doors' event loop — a day of a million executions is about half a minute of CPU. It only
 * reads: the history store opened read-only, the journal through a follower of its own. It writes
 * the report files, and sends the breaks and the result back to the host, which logs them and
 * raises the alert.
 */
import { lowerThreadPriority } from "../history/thread-priority.ts";
import { openHistoryStore } from "../history/open-store.ts";
import { storeLocation } from "../history/config.ts";
import type { Break } from "../reconcile/breaks.ts";
import { Assets } from "../reconcile/assets.ts";
import { readCustodyStatement } from "../reconcile/custody-statement.ts";
import { utcDay } from "../reconcile/day.ts";
import { reconcile } from "../reconcile/reconcile.ts";
import { notes, summaryLine, writeReport } from "../reconcile/report.ts";
import type { JobInit, JobReport } from "./reconcile-protocol.ts";

declare const self: Worker;

const report = (r: JobReport) => self.postMessage(r);
/** Breaks sent to the host this many at a time. */
const BATCH = 500;

self.onmessage = async (e: MessageEvent<JobInit>) => {
  const o = e.data;
  // Like the history writer, it yields the CPU to trading.
  lowerThreadPriority(10);
  try {
    const day = utcDay(o.day);
    const custody = o.custody === null ? undefined : readCustodyStatement(o.custody, new Assets(o.config.exchange));
    const store = await openHistoryStore(storeLocation(o.dataDir, o.config.history), { readonly: true });
    let pending: Break[] = [];
    try {
      const result = await reconcile({
        dataDir: o.dataDir, config: o.config.exchange, store, day, custody, custodyToleranceUs: o.custodyToleranceUs, venues: o.venues,
        onBreak: (b) => {
          pending.push(b);
          if (pending.length >= BATCH) report({ type: "breaks", breaks: pending.splice(0) });
        },
      });
      if (pending.length > 0) report({ type: "breaks", breaks: pending });
      pending = [];
      const files = writeReport(o.out, result);
      report({ type: "done", day: result.day, summary: summaryLine(result), notes: notes(result), open: result.open, resolved: result.resolved, counts: result.counts, lastSeq: result.compared.lastSeq, report: files.json });
    } finally {
      await store.close();
    }
  } catch (err) {
    report({ type: "failed", message: (err as Error).message });
  }
};
