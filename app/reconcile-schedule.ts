/**
 * When the server reconciles (docs/reconciliation.md, "The scheduled run"): each day at the
 * configured UTC time, the UTC day before. A server that was down at that time catches up when it
 * starts: past today's time, without yesterday's report but with an earlier day's (the schedule
 * has run here before: a fresh data directory has no yesterday to reconcile), it runs yesterday at
 * once. The clock and the timer are injected, so tests move time instead of waiting for it.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../log/logger.ts";

const DAY_MS = 86_400_000;

export interface Timer {
  cancel(): void;
}

export interface ScheduleOptions {
  /** Minutes after 00:00 UTC. */
  atMinutes: number;
  /** The report directory: `<out>/<day>/breaks.json` says the day was reconciled. */
  out: string;
  run: (day: string) => Promise<unknown>;
  log: Logger;
  /** Wall-clock ms. Default Date.now. */
  clock?: () => number;
  /** Calls `fn` after `ms`. Default an unref'd setTimeout. */
  timer?: (fn: () => void, ms: number) => Timer;
}

const realTimer = (fn: () => void, ms: number): Timer => {
  const t = setTimeout(fn, ms);
  t.unref?.();
  return { cancel: () => clearTimeout(t) };
};

const dayText = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class ReconcileSchedule {
  private timer: Timer | null = null;
  private running: Promise<unknown> | null = null;
  private stopped = false;
  private readonly clock: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => Timer;

  constructor(private readonly o: ScheduleOptions) {
    this.clock = o.clock ?? Date.now;
    this.setTimer = o.timer ?? realTimer;
  }

  /** The next run after `now` (ms): when, and the day it reconciles (the UTC day before that). */
  next(now = this.clock()): { at: number; day: string } {
    const midnight = Math.floor(now / DAY_MS) * DAY_MS;
    let at = midnight + this.o.atMinutes * 60_000;
    if (at <= now) at += DAY_MS;
    return { at, day: dayText(at - DAY_MS) };
  }

  /** Catches up on yesterday if its time passed without a report, then waits for the next run. */
  start(): void {
    const now = this.clock();
    const today = Math.floor(now / DAY_MS) * DAY_MS;
    const yesterday = dayText(today - DAY_MS);
    if (now >= today + this.o.atMinutes * 60_000 && !this.reported(yesterday) && this.reportedBefore(yesterday)) {
      this.o.log.info("reconciliation catching up", { day: yesterday });
      this.launch(yesterday);
    }
    this.arm();
  }

  /** Cancels the next run; resolves once a run in flight has ended (the caller ends it first, if it must not finish). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    await this.running;
  }

  /** The run in flight, if any. */
  get inFlight(): Promise<unknown> | null {
    return this.running;
  }

  private reported(day: string): boolean {
    return existsSync(join(this.o.out, day, "breaks.json"));
  }

  /** A report of a day before `day` is in the report directory. */
  private reportedBefore(day: string): boolean {
    try {
      return readdirSync(this.o.out).some((d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d < day && this.reported(d));
    } catch {
      return false;
    }
  }

  private arm(): void {
    if (this.stopped) return;
    const n = this.next();
    this.o.log.debug("reconciliation scheduled", { day: n.day, at: new Date(n.at).toISOString() });
    this.timer = this.setTimer(() => {
      this.timer = null;
      // A timer may fire a little early or late: the day is the one before the time it was set for.
      this.launch(n.day);
      this.arm();
    }, Math.max(0, n.at - this.clock()));
  }

  private launch(day: string): void {
    if (this.running) {
      this.o.log.warn("reconciliation still running: this run is skipped", { day });
      return;
    }
    this.o.log.info("reconciliation started", { day });
    this.running = this.o.run(day).catch((e) => this.o.log.error("reconciliation could not run", { day, err: e })).finally(() => (this.running = null));
  }
}
