/**
 * One scheduled reconciliation of a UTC day (docs/reconciliation.md, "The scheduled run"): finds
 * the day's files, runs reconcile/ in a worker (app/reconcile-worker.ts) so the doors' event loop
 * never waits for it, logs each break at error level as `bourse reconcile` does, and, when breaks
 * are open, raises the RECONCILIATION_BREAK alert (rule 9, high) in the history store and pushes it
 * to the operators' ALERTS feed. A clean run logs at info with its counts.
 */
import { join } from "node:path";
import { type AlertRow, Rule, Severity } from "../history/monitoring/alerts.ts";
import type { HistoryStore } from "../history/store.ts";
import type { Logger } from "../log/logger.ts";
import type { Break } from "../reconcile/breaks.ts";
import type { VenueSide } from "../reconcile/venue-vs-ours.ts";
import type { BourseConfig } from "./config.ts";
import { custodyFile, dropCopyFiles, type ReconcileSettings } from "./reconcile-config.ts";
import type { JobInit, JobReport, JobResult } from "./reconcile-protocol.ts";
import { venueOf } from "./routed-venue.ts";

export interface JobOptions {
  dataDir: string;
  config: BourseConfig;
  settings: ReconcileSettings;
  log: Logger;
  /** The store the alert is raised in (the doors' reader; null while it does not answer). */
  store: () => HistoryStore | null;
  /** Pushes a raised alert to the operator sessions (the WebSocket door). */
  pushAlert?: (a: AlertRow) => void;
  /** Wall-clock ms (the alert's time). */
  clock: () => number;
}

/** The result of a day's run, or null when the run itself failed (logged). */
export class ReconcileJob {
  private worker: Worker | null = null;
  /** Settles the run in flight as not run (stop()). */
  private cancel: () => void = () => {};

  constructor(private readonly o: JobOptions) {}

  async run(day: string): Promise<JobResult | null> {
    const { o } = this;
    const init = this.init(day);
    const result = await new Promise<JobResult | null>((resolve) => {
      this.cancel = () => {
        o.log.warn("reconciliation stopped before it finished: run it again with bourse reconcile", { day });
        resolve(null);
      };
      const w = new Worker(new URL("./reconcile-worker.ts", import.meta.url).href);
      this.worker = w;
      w.onmessage = (e: MessageEvent<JobReport>) => {
        const r = e.data;
        if (r.type === "breaks") for (const b of r.breaks) logBreak(o.log, b);
        else if (r.type === "failed") {
          o.log.error("reconciliation could not run", { day, error: r.message });
          resolve(null);
        } else resolve(r);
      };
      w.onerror = (e) => {
        o.log.error("reconciliation could not run", { day, error: e.message });
        resolve(null);
      };
      w.postMessage(init);
    }).finally(() => {
      this.worker?.terminate();
      this.worker = null;
      this.cancel = () => {};
    });
    if (result === null) return null;
    for (const n of result.notes) o.log.warn(n, { day });
    if (result.open === 0) {
      o.log.info("reconciliation clean", { day, summary: result.summary, resolved: result.resolved, report: result.report });
      return result;
    }
    o.log.error("reconciliation found breaks", { day, open: result.open, resolved: result.resolved, counts: result.counts, report: result.report });
    await this.alert(result);
    return result;
  }

  /** Ends a run in flight (the exchange is stopping): it is run again by hand, or at the next start's catch-up. */
  stop(): void {
    this.worker?.terminate();
    this.worker = null;
    this.cancel();
  }

  private init(day: string): JobInit {
    const { o } = this;
    const s = o.settings;
    const venues: VenueSide[] = [];
    for (const { venue, file } of dropCopyFiles(s, o.config.venues, day)) {
      if (file === null) {
        o.log.warn("no drop copy for the venue: it is not compared", { day, venue, looked: join(s.dropCopyDir!, `${venue}-${day}.csv|.fix`) });
        continue;
      }
      try {
        venues.push({ ...venueOf(o.config.venues, o.config.exchange.instruments, venue), dropCopy: file, toleranceUs: s.venueToleranceSeconds * 1_000_000 });
      } catch (e) {
        o.log.error("a venue of the config cannot be reconciled", { day, venue, error: (e as Error).message });
      }
    }
    const custody = custodyFile(s, day);
    if (s.custodyDir !== null && custody === null) o.log.warn("no custody statement for the day: custody is not compared", { day, looked: join(s.custodyDir, `custody-${day}.csv`) });
    return { dataDir: o.dataDir, config: o.config, day, out: join(s.out, day), custody, custodyToleranceUs: s.custodyToleranceSeconds * 1_000_000, venues };
  }

  /** One alert a day: keyed by the day's last seq, rule 9, account 0, so a second run of the day raises none. */
  private async alert(r: JobResult): Promise<void> {
    const { o } = this;
    const row: AlertRow = {
      seq: r.lastSeq, rule: Rule.RECONCILIATION_BREAK, account: 0, time: o.clock() * 1000, severity: Severity.HIGH,
      text: `reconciliation of ${r.day}: ${r.open} open break${r.open === 1 ? "" : "s"}`,
      detail: JSON.stringify({ day: r.day, open: r.open, counts: Object.fromEntries(Object.entries(r.counts).filter(([, v]) => v > 0)), report: r.report }),
    };
    const store = o.store();
    if (store === null) {
      o.log.error("the reconciliation alert could not be stored: the history store does not answer", { day: r.day });
      o.pushAlert?.(row);
      return;
    }
    try {
      if (await store.raiseAlert(row)) o.pushAlert?.(row);
    } catch (e) {
      o.log.error("the reconciliation alert could not be stored", { day: r.day, err: e });
      o.pushAlert?.(row);
    }
  }
}

function logBreak(log: Logger, b: Break): void {
  const fields = { breakId: b.id, kind: b.kind, day: b.day, account: b.account, asset: b.asset, amount: b.amount, text: b.text };
  if (b.resolution === null) log.error("reconciliation break", fields);
  else log.info("reconciliation break resolved", { ...fields, action: b.resolution.action, operator: b.resolution.operator });
}
