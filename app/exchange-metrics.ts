/**
 * What GET /metrics serves (docs/metrics.md): every part's counters, read and formatted at scrape
 * time. The order path only moves typed-array counters (order entry's OrderMetrics, the engine's
 * shared EngineMetrics buffer); everything else here is state the parts already keep (sessions,
 * the history writer's seq, a venue link's state), read when Prometheus asks.
 *
 * The exchange hands in getters rather than itself, so this module does not import the exchange
 * (no import circle) and a part that has not started, or has stopped, is simply not scraped.
 */
import { statfsSync, statSync } from "node:fs";
import { EngineMetrics, ENGINE_CELL } from "../actors/engine-metrics.ts";
import { paths } from "../actors/recovery.ts";
import { listSnapshots } from "../actors/snapshot/snapshot-store.ts";
import type { EngineHost } from "../actors/sequencer.ts";
import { WorkerHost } from "../actors/worker-host.ts";
import { MarketState } from "../engine/market-state.ts";
import type { LoginGuard } from "../gateway/auth/login-guard.ts";
import type { FixAcceptor } from "../gateway/fix/acceptor.ts";
import { OrderMetrics } from "../gateway/order-entry/order-metrics.ts";
import type { Venue } from "../gateway/venue/venues.ts";
import type { MarketDataFanout } from "../gateway/ws/market-data-fanout.ts";
import type { Gateway } from "../gateway/ws/server.ts";
import { type AlertRow, RULE_NAMES, Rule, SEVERITY_NAMES } from "../history/monitoring/alerts.ts";
import type { HistoryWriterHost } from "../history/writer-host.ts";
import type { Exposition } from "../metrics/exposition.ts";
import { ProcessMetrics } from "../metrics/process.ts";
import { MetricsRegistry } from "../metrics/registry.ts";
import type { JobResult } from "./reconcile-protocol.ts";

/** Where the collectors read the running exchange; each getter answers null until its part runs. */
export interface MetricsSources {
  dataDir: string;
  workers: number;
  /** Instrument id → symbol, for the per-symbol halt series. */
  symbols: readonly { id: number; symbol: string }[];
  engine: () => EngineHost | null;
  gateway: () => Gateway | null;
  fix: () => FixAcceptor | null;
  marketData: () => MarketDataFanout | null;
  historyWriter: () => HistoryWriterHost | null;
  venues: () => readonly Venue[];
  loginGuard: LoginGuard;
}

const HISTORY_STATES = ["starting", "running", "down", "failed", "stopped"] as const;
const SEVERITIES = SEVERITY_NAMES.length;
const RULES = Math.max(...Object.values(Rule)) + 1;

export class ExchangeMetrics {
  readonly registry = new MetricsRegistry();
  /** Shared with the engine's threads through RuntimeOptions.metrics. */
  readonly engine = new EngineMetrics();
  /** Set on order entry (OrderEntry.metrics). */
  readonly orders = new OrderMetrics();
  private readonly process = new ProcessMetrics();
  /** Alerts raised since start, by rule and severity (from the history writer and the reconciliation). */
  private readonly alerts = new Float64Array(RULES * SEVERITIES);
  private reconcileRuns = { clean: 0, breaks: 0, failed: 0 };
  private reconcileLast: { open: number; at: number } | null = null;

  constructor(private readonly s: MetricsSources) {
    this.registry.add((w) => this.collectEngine(w));
    this.registry.add((w) => this.orders.collect(w));
    this.registry.add((w) => this.collectDoors(w));
    this.registry.add((w) => this.collectMarket(w));
    this.registry.add((w) => this.collectHistory(w));
    this.registry.add((w) => this.collectOperations(w));
    this.registry.add((w) => this.process.collect(w));
  }

  start(): void {
    this.process.start();
  }

  stop(): void {
    this.process.stop();
  }

  /** Alerts raised (the history writer's, the reconciliation's): counted by rule and severity. */
  alerted(alerts: readonly AlertRow[]): void {
    for (const a of alerts) {
      if (a.rule >= 0 && a.rule < RULES && a.severity >= 0 && a.severity < SEVERITIES) this.alerts[a.rule * SEVERITIES + a.severity]!++;
    }
  }

  /** A scheduled reconciliation finished (null: it could not run). */
  reconciled(r: JobResult | null, nowMs: number): void {
    if (r === null) return void this.reconcileRuns.failed++;
    if (r.open === 0) this.reconcileRuns.clean++;
    else this.reconcileRuns.breaks++;
    this.reconcileLast = { open: r.open, at: nowMs };
  }

  private collectEngine(w: Exposition): void {
    const host = this.s.engine();
    if (host === null) return;
    w.family("bourse_engine_up", "gauge", "1 while the engine runs; 0 once it has stopped after a failure (the process drains and exits).").sample("bourse_engine_up", host.stopped ? 0 : 1);
    w.family("bourse_engine_last_seq", "gauge", "The last sequence number the engine delivered (or gave out, on the engine's thread).").sample("bourse_engine_last_seq", host.lastSeq);
    w.family("bourse_engine_workers", "gauge", "Engine threads: 0, on the main thread; 1, in a worker.").sample("bourse_engine_workers", this.s.workers);
    const e = this.engine;
    const c = e.cells;
    w.family("bourse_journal_fsync_seconds", "histogram", "Duration of each journal fdatasync on the syncer thread.").histogram("bourse_journal_fsync_seconds", e.fsync);
    w.family("bourse_journal_batch_commands", "histogram", "Commands each fdatasync made durable (the group commit's batch).").histogram("bourse_journal_batch_commands", e.batch);
    w.family("bourse_sync_queue_batches", "gauge", "Batches written to the journal whose fdatasync has not completed (their results wait).").sample("bourse_sync_queue_batches", c[ENGINE_CELL.SYNC_QUEUE_BATCHES]!);
    w.family("bourse_sync_queue_commands", "gauge", "Commands in those batches.").sample("bourse_sync_queue_commands", c[ENGINE_CELL.SYNC_QUEUE_COMMANDS]!);
    // The rings exist only with the engine in a worker; on the main thread they are reported empty.
    const ring = host instanceof WorkerHost ? host.ringDepth : { waiting: 0, commands: 0, events: 0 };
    w.family("bourse_ring_depth_slots", "gauge", "Slots in use in the rings between the main thread and the engine worker (0 with the engine on the main thread): commands not yet taken by the engine, events not yet read, commands waiting for room.")
      .sample("bourse_ring_depth_slots", ring.commands, [["ring", "commands"]])
      .sample("bourse_ring_depth_slots", ring.events, [["ring", "events"]])
      .sample("bourse_ring_depth_slots", ring.waiting, [["ring", "waiting"]]);
    w.family("bourse_snapshot_seconds", "histogram", "Duration of each periodic snapshot the snapshotter replica took (serialize and write).").histogram("bourse_snapshot_seconds", e.snapshot);
    // Families with nothing to report yet (no snapshot on a fresh directory) are still declared, so a rule over them is valid from the start.
    const newest = newestSnapshot(this.s.dataDir);
    w.family("bourse_snapshot_age_seconds", "gauge", "Seconds since the newest snapshot file in the data directory was written (recovery replays the journal after it); absent while there is none.");
    if (newest !== null) w.sample("bourse_snapshot_age_seconds", Math.max(0, (Date.now() - newest.mtimeMs) / 1000));
    w.family("bourse_snapshot_last_seq", "gauge", "The sequence number the newest snapshot file holds.");
    if (newest !== null) w.sample("bourse_snapshot_last_seq", newest.seq);
    const disk = diskOf(this.s.dataDir);
    w.family("bourse_data_dir_free_bytes", "gauge", "Bytes free for this process on the data directory's filesystem (the journal stops the engine when a write fails).");
    if (disk !== null) w.sample("bourse_data_dir_free_bytes", disk.free);
    w.family("bourse_data_dir_size_bytes", "gauge", "Size of the data directory's filesystem.");
    if (disk !== null) w.sample("bourse_data_dir_size_bytes", disk.size);
  }

  private collectDoors(w: Exposition): void {
    const gw = this.s.gateway();
    const fix = this.s.fix();
    const ws = gw?.stats();
    const fs = fix?.stats();
    w.family("bourse_sessions", "gauge", "Sessions open now, by door and whether they have logged in.");
    if (ws) w.sample("bourse_sessions", ws.loggedIn, [["door", "ws"], ["state", "logged_in"]]).sample("bourse_sessions", ws.sessions - ws.loggedIn, [["door", "ws"], ["state", "anonymous"]]);
    if (fix) w.sample("bourse_sessions", fs!.loggedOn, [["door", "fix"], ["state", "logged_in"]]).sample("bourse_sessions", Math.max(0, fix.connections - fs!.loggedOn), [["door", "fix"], ["state", "anonymous"]]);
    w.family("bourse_subscribers", "gauge", "Subscriptions now, by door and channel (WebSocket: one per symbol and channel; FIX: one per symbol of a MarketDataRequest; alerts: operator sessions).");
    if (ws) for (const [channel, n] of Object.entries(ws.subscribers)) w.sample("bourse_subscribers", n, [["door", "ws"], ["channel", channel]]);
    if (fs) w.sample("bourse_subscribers", fs.subscriptions, [["door", "fix"], ["channel", "market_data"]]);
    w.family("bourse_slow_consumer_cuts_total", "counter", "Sessions cut because they read their output too slowly, by door.");
    if (ws) w.sample("bourse_slow_consumer_cuts_total", ws.slowConsumerCuts, [["door", "ws"]]);
    if (fs) w.sample("bourse_slow_consumer_cuts_total", fs.slowConsumerCuts, [["door", "fix"]]);
    const g = this.s.loginGuard;
    w.family("bourse_login_failures_total", "counter", "Failed logins (a wrong secret, signature or unknown key) on every door.").sample("bourse_login_failures_total", g.failures);
    w.family("bourse_login_lockouts_total", "counter", "Locks the login guard started, of an API key or of a client address.").sample("bourse_login_lockouts_total", g.keyLockouts, [["scope", "key"]]).sample("bourse_login_lockouts_total", g.addressLockouts, [["scope", "address"]]);
  }

  private collectMarket(w: Exposition): void {
    const md = this.s.marketData();
    if (md === null) return;
    w.family("bourse_halts_total", "counter", "Times an instrument was halted (by command, volatility or its venue) since start.");
    const states: [string, number][] = [];
    for (const { id, symbol } of this.s.symbols) {
      const h = md.haltsOf(id);
      w.sample("bourse_halts_total", h.halts, [["symbol", symbol]]);
      states.push([symbol, h.state]);
    }
    w.family("bourse_instrument_halted", "gauge", "1 while an instrument is halted.");
    for (const [symbol, state] of states) w.sample("bourse_instrument_halted", state === MarketState.HALTED ? 1 : 0, [["symbol", symbol]]);
  }

  private collectHistory(w: Exposition): void {
    const writer = this.s.historyWriter();
    const host = this.s.engine();
    if (writer === null || host === null) return;
    const st = writer.status;
    w.family("bourse_history_writer_state", "gauge", "The history writer's state: 1 for the state it is in.");
    for (const s of HISTORY_STATES) w.sample("bourse_history_writer_state", st.state === s ? 1 : 0, [["state", s]]);
    w.family("bourse_history_lag_commands", "gauge", "Commands the engine has delivered that the history store does not hold yet.").sample("bourse_history_lag_commands", Math.max(0, host.lastSeq - st.seq));
    w.family("bourse_history_rows_total", "counter", "Rows the history writer has written since start.").sample("bourse_history_rows_total", st.rows);
    w.family("bourse_history_down_seconds", "gauge", "Seconds the history database has been unreachable (0 while it answers).").sample("bourse_history_down_seconds", st.downSince > 0 ? Math.max(0, (Date.now() - st.downSince) / 1000) : 0);
  }

  private collectOperations(w: Exposition): void {
    w.family("bourse_alerts_total", "counter", "Alerts raised since start (transaction monitoring, venue breaks, reconciliation breaks), by rule and severity; only those seen appear.");
    for (let r = 0; r < RULES; r++) {
      for (let s = 1; s < SEVERITIES; s++) {
        const n = this.alerts[r * SEVERITIES + s]!;
        const rule = RULE_NAMES.find((k) => Rule[k] === r);
        if (n > 0 && rule) w.sample("bourse_alerts_total", n, [["rule", rule.toLowerCase()], ["severity", SEVERITY_NAMES[s]!]]);
      }
    }
    w.family("bourse_venue_up", "gauge", "1 while the FIX link to an external venue is logged on, by venue (its name in the configuration).");
    for (const v of this.s.venues()) w.sample("bourse_venue_up", v.link.up ? 1 : 0, [["venue", v.name]]);
    const r = this.reconcileRuns;
    w.family("bourse_reconciliation_runs_total", "counter", "Scheduled end-of-day reconciliations finished, by outcome (clean, breaks, failed: could not run).")
      .sample("bourse_reconciliation_runs_total", r.clean, [["outcome", "clean"]])
      .sample("bourse_reconciliation_runs_total", r.breaks, [["outcome", "breaks"]])
      .sample("bourse_reconciliation_runs_total", r.failed, [["outcome", "failed"]]);
    const last = this.reconcileLast;
    w.family("bourse_reconciliation_open_breaks", "gauge", "Open breaks the last scheduled reconciliation found; absent before the first run of this process.");
    if (last !== null) w.sample("bourse_reconciliation_open_breaks", last.open);
    w.family("bourse_reconciliation_last_run_timestamp_seconds", "gauge", "When the last scheduled reconciliation finished (Unix time).");
    if (last !== null) w.sample("bourse_reconciliation_last_run_timestamp_seconds", last.at / 1000);
  }
}

/** Free and total bytes of the data directory's filesystem, or null if it cannot be read. */
function diskOf(dataDir: string): { free: number; size: number } | null {
  try {
    const s = statfsSync(dataDir);
    return { free: s.bavail * s.bsize, size: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** The newest snapshot file's seq and mtime, or null when there is none (a fresh directory). */
function newestSnapshot(dataDir: string): { seq: number; mtimeMs: number } | null {
  try {
    const newest = listSnapshots(paths(dataDir).snapshots)[0];
    return newest ? { seq: newest.seq, mtimeMs: statSync(newest.file).mtimeMs } : null;
  } catch {
    // No snapshots folder yet, or a snapshot pruned between the listing and the stat: none to report now.
    return null;
  }
}
