import { Histogram, LATENCY_BOUNDS } from "./histogram.ts";
import type { Exposition } from "./exposition.ts";

/** How often the event-loop lag is sampled: a timer that fires late by x was held up by x. */
const LAG_EVERY_MS = 100;

/**
 * The process as Prometheus sees it: resident memory, heap, uptime, and the event loop's lag,
 * measured with a timer (a 100 ms interval; how late each tick fires). Bun has
 * perf_hooks.monitorEventLoopDelay, but a timer is the same measure on every runtime and costs
 * one callback every 100 ms. The timer is unref'd: it never keeps a process alive.
 */
export class ProcessMetrics {
  private readonly lag = new Histogram(LATENCY_BOUNDS, new Float64Array(LATENCY_BOUNDS.length + 3));
  private maxLag = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly started = Date.now();

  start(): void {
    if (this.timer !== null) return;
    let expected = performance.now() + LAG_EVERY_MS;
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = Math.max(0, now - expected) / 1000;
      expected = now + LAG_EVERY_MS;
      this.lag.observe(late);
      if (late > this.maxLag) this.maxLag = late;
    }, LAG_EVERY_MS);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  collect(w: Exposition): void {
    const m = process.memoryUsage();
    w.family("bourse_process_resident_memory_bytes", "gauge", "Resident set size of the process.").sample("bourse_process_resident_memory_bytes", m.rss);
    w.family("bourse_process_heap_used_bytes", "gauge", "JavaScript heap in use on the main thread.").sample("bourse_process_heap_used_bytes", m.heapUsed);
    w.family("bourse_process_uptime_seconds", "gauge", "Seconds since the metrics of this process started.").sample("bourse_process_uptime_seconds", (Date.now() - this.started) / 1000);
    w.family("bourse_event_loop_lag_seconds", "histogram", "How late the main thread's 100 ms timer fired: time the event loop was busy or blocked.").histogram("bourse_event_loop_lag_seconds", this.lag);
    // The worst since the last scrape, then reset: a gauge a dashboard can show without a histogram quantile.
    w.family("bourse_event_loop_lag_max_seconds", "gauge", "The largest event-loop lag seen since the previous scrape.").sample("bourse_event_loop_lag_max_seconds", this.maxLag);
    this.maxLag = 0;
  }
}
