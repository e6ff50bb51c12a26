/**
 * The composition root: the one place that builds the running exchange from its configuration
 * (like exchange-core's ExchangeCore constructor). Each piece is a part with start() and stop();
 * the parts start in the order listed and stop in the reverse order, so a part may use everything
 * listed before it, and a start that fails stops what had started before the error reaches the
 * caller.
 *
 *   engine       recover the data directory; the sequencer, engine and journal on this thread or a worker
 *   accounts     open and fund the configured accounts on a fresh directory
 *   identity     users, API keys and sessions (the doors' copy of the journaled identity); the configured keys and users on a fresh directory
 *   history      the history writer (a worker following the durable journal into the store) and a reader for the doors
 *   order entry  the read model and request tracking both doors share
 *   venues       routing to external venues: a router and a FIX initiator per venue, journaled unavailable before the doors open
 *   market data  the books as recovered, fanned out by the WebSocket door
 *   health       what /health and /ready answer
 *   metrics      the process timer behind /metrics (the counters themselves live in the parts, docs/metrics.md)
 *   websocket    the binary WebSocket door and its HTTP paths
 *   fix          the FIX 4.4 acceptor, unless the config turns it off
 *   revocations  a revoked API key's live sessions on every door are told and closed at once
 *   engine stop  on an engine failure, drain the doors so the process can exit
 *
 * Parts still to come go into the same list: the NATS bridge after the engine (it follows its
 * deliveries, as the history writer does), the standby instead of the engine on a follower.
 */
import { startEngineHost, type StartedHost } from "../actors/engine-host.ts";
import { explainRecoveryFailure, OperatorError } from "../actors/operator-error.ts";
import type { RuntimeOptions } from "../actors/runtime-options.ts";
import { InvariantError } from "../engine/errors.ts";
import { makeInstrument } from "../engine/instrument.ts";
import { ApiKeys } from "../gateway/auth/keys.ts";
import { LoginGuard } from "../gateway/auth/login-guard.ts";
import { type FixAcceptor, startFixAcceptor } from "../gateway/fix/acceptor.ts";
import { startVenues, stopVenues, type Venue } from "../gateway/venue/venues.ts";
import { venueRoutes } from "../gateway/rest/routes/venues.ts";
import { OrderEntry } from "../gateway/order-entry/order-entry.ts";
import { Availability } from "../gateway/ws/health.ts";
import { MarketDataFanout } from "../gateway/ws/market-data-fanout.ts";
import { type Gateway, type OperatorAuth, startGateway } from "../gateway/ws/server.ts";
import { type StoreLocation, storeLocation } from "../history/config.ts";
import { openHistoryStore } from "../history/open-store.ts";
import type { HistoryStore } from "../history/store.ts";
import { HistoryWriterHost } from "../history/writer-host.ts";
import { orderHistory } from "../gateway/order-entry/order-history.ts";
import { readCandleHistory, type CandleHistory } from "../history/candle-history.ts";
import { createLogger, type Logger } from "../log/logger.ts";
import { seedAccounts } from "./accounts.ts";
import { type IdentityParts, startIdentity } from "./identity.ts";
import { accountAdminRoutes } from "../gateway/rest/routes/account-admin.ts";
import { identityRoutes } from "../gateway/rest/routes/identity.ts";
import { orderRoutes } from "../gateway/rest/routes/orders.ts";
import { portfolioRoutes } from "../gateway/rest/routes/portfolio.ts";
import { accountHistoryRoutes } from "../gateway/rest/routes/account-history.ts";
import { alertRoutes } from "../gateway/rest/routes/alerts.ts";
import { reconcileSettings } from "./reconcile-config.ts";
import { ReconcileJob } from "./reconcile-job.ts";
import { ReconcileSchedule, type ScheduleOptions } from "./reconcile-schedule.ts";
import { callerName, readsAll } from "../gateway/auth/caller.ts";
import { RestOrderDesk } from "../gateway/rest/rest-orders.ts";
import { marketRoutes } from "../gateway/rest/routes/market.ts";
import { statementRoutes } from "../gateway/rest/routes/statement.ts";
import { marketControlRoutes } from "../gateway/rest/routes/market-control.ts";
import { doorTls, type TlsMaterial } from "./tls.ts";
import { checkConfig } from "./config-check.ts";
import { validateConfig } from "./config-validate.ts";
import { type BourseConfig, resolveVenues } from "./config.ts";
import { VenueConfigError } from "../gateway/venue/link-config.ts";
import { drainOnStop, type EngineStop } from "./engine-stop.ts";
import { checkPortsFree, type DoorAddress, listenError } from "./listen-check.ts";
import { ExchangeMetrics } from "./exchange-metrics.ts";
import type { AlertRow } from "../history/monitoring/alerts.ts";

/** One piece of the running exchange. */
export interface Part {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export interface ExchangeOptions {
  dataDir: string;
  config: BourseConfig;
  /** Where the config came from, for error messages. */
  configFile?: string;
  /** Engine threads: 0 on this thread, 1 in a worker. */
  workers: number;
  /**
   * The doors (WebSocket and FIX) and what serves them: order entry, market data, health and the
   * drain on an engine stop. Default true; `bourse start`, which drives the engine itself, runs without.
   */
  doors?: boolean;
  /** The history writer and store (docs/history.md). Default: with the doors, unless the config's history.enabled is false. */
  history?: boolean;
  port?: number;
  /** FIX acceptor port (default: the config's, else 9878; 0 = any free port, and so is `port: 0`). */
  fixPort?: number;
  host?: string;
  /** Default: info and up, to stdout, JSON unless stdout is a terminal (docs/logging.md). */
  log?: Logger;
  /** fdatasync on every group commit (default true). */
  fsync?: boolean;
  snapshotEvery?: number;
  /** Tests only: a failing disk (RuntimeOptions.syncerFaults). */
  syncerFaults?: RuntimeOptions["syncerFaults"];
  /** Wall-clock ms for sessions, TOTP and the login guard (tests move it). Default Date.now. */
  clock?: () => number;
  /** Tests only: the end-of-day reconciliation's timer (app/reconcile-schedule.ts), fired by hand instead of by wall time. */
  reconcileTimer?: ScheduleOptions["timer"];
  /** Called once the engine has started, before the accounts are seeded: a listener added here hears every delivery. */
  onEngine?: (engine: StartedHost) => void;
}

/** The whole exchange, built from a configuration; start() brings it up, stop() takes it down. */
export class BourseExchange {
  /** In start order. */
  readonly parts: Part[] = [];
  readonly log: Logger;
  private readonly started: Part[] = [];
  private engineHost: StartedHost | null = null;
  /** Users, keys and sessions, once the identity part has started. */
  identity: IdentityParts | null = null;
  orderEntry: OrderEntry | null = null;
  marketData: MarketDataFanout | null = null;
  availability: Availability | null = null;
  gateway: Gateway | null = null;
  fix: FixAcceptor | null = null;
  /** Routing to external venues, one per configured venue. */
  venues: Venue[] = [];
  /** The history writer's host, and the store as the doors read it (null without history). */
  historyWriter: HistoryWriterHost | null = null;
  history: HistoryStore | null = null;
  /** Candles from the store, read at start for market data (closed ones and today's trades). */
  private candleHistory: CandleHistory | null = null;
  /** Resolves once the doors are drained after an engine failure (never without doors, nor while the engine runs). */
  stopped: Promise<EngineStop> = new Promise(() => {});
  /** The end-of-day reconciliation's schedule (null without history, or with reconcile.enabled false). */
  reconciliation: ReconcileSchedule | null = null;
  /** Nothing had ever been journaled in the data directory when it started. */
  fresh = false;
  /** Every part started (a stop then drains the doors and leaves a snapshot). */
  private complete = false;
  /** How long the engine part took to recover the data directory (newest snapshot + journal replay), ms. */
  recoveryMs = 0;
  /** What GET /metrics serves (docs/metrics.md); null without the doors or with metrics.enabled false. */
  readonly metrics: ExchangeMetrics | null = null;

  constructor(readonly o: ExchangeOptions) {
    this.log = o.log ?? createLogger();
    // A configuration built in code (not loaded from a file) is checked like a file's, and gets its routed instruments' street accounts here.
    validateConfig(o.config, o.configFile);
    try {
      resolveVenues(o.config);
    } catch (e) {
      if (e instanceof VenueConfigError) throw new OperatorError(`${o.configFile ?? "the configuration"}: ${e.message}`);
      throw e;
    }
    this.loginGuard = new LoginGuard(o.config.login);
    if (o.doors !== false && o.config.metrics?.enabled !== false) {
      this.metrics = new ExchangeMetrics({
        dataDir: o.dataDir,
        workers: o.workers,
        symbols: o.config.exchange.instruments.map((i) => ({ id: i.id, symbol: i.symbol })),
        engine: () => this.engineHost?.host ?? null,
        gateway: () => this.gateway,
        fix: () => this.fix,
        marketData: () => this.marketData,
        historyWriter: () => this.historyWriter,
        venues: () => this.venues,
        loginGuard: this.loginGuard,
      });
    }
    this.parts.push(this.enginePart(), this.accountsPart(), this.identityPart());
    if (o.history ?? (o.doors !== false && o.config.history?.enabled !== false)) this.parts.push(this.historyPart());
    if (o.doors === false) return;
    const doors = doorAddresses(o);
    this.parts.push(this.orderEntryPart());
    // Before the doors open: the venues are journaled unavailable before any order can reach them.
    if (Object.values(o.config.venues ?? {}).some((v) => v.routing !== false && v.enabled !== false)) this.parts.push(this.venuesPart());
    this.parts.push(this.marketDataPart(), this.healthPart());
    if (this.metrics) this.parts.push(this.metricsPart(this.metrics));
    this.parts.push(this.webSocketPart(doors[0]!));
    if (doors[1]) this.parts.push(this.fixPart(doors[1]));
    this.parts.push(this.revocationsPart(), this.engineStopPart());
    // The end-of-day reconciliation reads the history store: on by default where there is one.
    if (this.parts.some((p) => p.name === "history") && o.config.reconcile?.enabled !== false) this.parts.push(this.reconcilePart());
  }

  /** The engine's host once the engine part has started. */
  get engine(): StartedHost {
    if (this.engineHost === null) throw new InvariantError("the exchange has not started");
    return this.engineHost;
  }

  /** One count of failed logins for every door: a guesser cannot spread its guesses over the doors. */
  private readonly loginGuard: LoginGuard;

  private tlsMaterial: TlsMaterial | null | undefined = undefined;

  /** The doors' certificate (app/tls.ts), read or made once; null: plain TCP. */
  get tls(): TlsMaterial | null {
    this.tlsMaterial ??= doorTls(this.o.config.tls, this.o.dataDir, this.o.configFile);
    return this.tlsMaterial;
  }

  /** The API keys every door takes: the journaled ones, kept current as keys are issued and revoked. */
  private get keys(): ApiKeys {
    if (this.identity === null) throw new InvariantError("the identity part has not started");
    return this.identity.directory.keys;
  }

  /**
   * Checks the configuration and the doors' ports (before any directory is opened), then starts
   * every part in order. A part that fails stops the ones started before it, then throws.
   */
  async start(): Promise<this> {
    if (this.o.doors !== false) {
      checkServeConfig(this.o.config, this.o.configFile ?? "the configuration");
      checkPortsFree(doorAddresses(this.o));
    }
    for (const part of this.parts) {
      try {
        await part.start();
      } catch (e) {
        await this.stop();
        throw e;
      }
      this.started.push(part);
    }
    this.complete = true;
    return this;
  }

  /**
   * Stops the started parts in reverse order; the data directory is complete and released when it
   * resolves. A running exchange with doors stops gracefully (a maintenance stop, SIGTERM): not
   * ready from the first step; new requests refused SHUTTING_DOWN on every door while those in
   * flight are answered (at most `drainMs`, default 5 s); then the doors close their sessions,
   * whose cancel-on-disconnect orders are cancelled and journaled; last the engine writes a
   * snapshot at its last seq, so the next start replays nothing.
   */
  async stop(o: { drainMs?: number } = {}): Promise<void> {
    if (this.complete && this.orderEntry && !this.engine.host.stopped) {
      this.availability?.shuttingDown();
      const t0 = performance.now();
      const left = await this.orderEntry.close(o.drainMs ?? 5_000);
      const fields = { waitedMs: Math.round(performance.now() - t0), seq: this.engine.host.lastSeq };
      if (left > 0) this.log.warn("stopping with requests unanswered", { ...fields, unanswered: left, effect: "their clients learn the outcome after the restart" });
      else this.log.info("requests in flight answered", fields);
    }
    for (let part = this.started.pop(); part !== undefined; part = this.started.pop()) {
      try {
        await part.stop();
      } catch (e) {
        this.log.error("stopping a part failed", { part: part.name, err: e });
      }
    }
  }

  private enginePart(): Part {
    const o = this.o;
    return {
      name: "engine",
      start: async () => {
        const t0 = performance.now();
        try {
          this.engineHost = await startEngineHost({ config: o.config.exchange, dataDir: o.dataDir, workers: o.workers, fsync: o.fsync, snapshotEvery: o.snapshotEvery, log: this.log, syncerFaults: o.syncerFaults, ...(this.metrics ? { metrics: this.metrics.engine.sab } : {}) });
        } catch (e) {
          throw e instanceof OperatorError ? e : explainRecoveryFailure(e, o.dataDir);
        }
        this.recoveryMs = Math.round((performance.now() - t0) * 10) / 10;
        this.fresh = this.engineHost.host.lastSeq === 0;
        o.onEngine?.(this.engineHost);
      },
      // A snapshot at the last seq when the whole exchange ran: the next start replays nothing. A
      // start that failed half-way stops without one (nothing of note ran).
      stop: () => this.engine.host.shutdown({ snapshot: this.complete }),
    };
  }

  private accountsPart(): Part {
    const o = this.o;
    return {
      name: "accounts",
      start: () => seedAccounts({ sequencer: this.engine.host, config: o.config, configFile: o.configFile, dataDir: o.dataDir, recoveredAccounts: this.engine.recovered.accounts, log: this.log }),
      stop: () => {},
    };
  }

  private identityPart(): Part {
    const o = this.o;
    return {
      name: "identity",
      start: async () => {
        this.identity = await startIdentity({ sequencer: this.engine.host, recovered: this.engine.recovered.identity, withdrawals: this.engine.recovered.withdrawals, config: o.config, configFile: o.configFile, dataDir: o.dataDir, fresh: this.fresh, guard: this.loginGuard, log: this.log, clock: o.clock });
      },
      stop: () => {
        this.identity?.close();
        this.identity = null;
      },
    };
  }

  /**
   * The history writer follows what the engine makes durable: each delivery publishes its seq to
   * the writer's worker (one atomic store). At start it is given a moment to catch up with the
   * journal, so that market data's candle history and the doors' answers about finished orders
   * reach the restart; a database that is down or slow only shortens that history, never the start.
   */
  private historyPart(): Part {
    const o = this.o;
    let unlisten = () => {};
    return {
      name: "history",
      start: async () => {
        const host = this.engine.host;
        const at = storeLocation(o.dataDir, o.config.history);
        // Deliveries while the worker starts (a timer's TICK) are kept and published once it runs.
        let delivered = host.lastSeq;
        const early = host.onDelivery((seq) => (delivered = seq));
        let writer: HistoryWriterHost;
        try {
          writer = await HistoryWriterHost.start({ dataDir: o.dataDir, config: o.config.exchange, store: at, durable: delivered, batchRows: o.config.history?.batchRows, nice: o.config.history?.nice, log: this.log });
        } catch (e) {
          // Trading never depends on history: the exchange runs without it, and says so (the host logged why).
          this.log.error("running without history: the history writer could not start; repair the store with bourse history rebuild", { err: e });
          return;
        } finally {
          early();
        }
        this.historyWriter = writer;
        writer.publish(delivered);
        const off = host.onDelivery((seq) => writer.publish(seq));
        let waiting: ReturnType<typeof setInterval> | undefined;
        unlisten = () => {
          off();
          clearInterval(waiting);
        };
        if (writer.status.state !== "running") {
          // A database that is down at start: the doors get their reader once it answers (candle history waits for the next start).
          waiting = setInterval(() => {
            if (writer.status.state === "running") void this.openReader(at);
            if (writer.status.state !== "down") clearInterval(waiting);
          }, 1_000);
          return;
        }
        if (!(await writer.reach(host.lastSeq, 5_000))) this.log.warn("the history store is still catching up with the journal: candle history starts where it stands", { seq: writer.status.seq, journal: host.lastSeq });
        this.history = await openHistoryStore(at, { readonly: true });
        this.candleHistory = await readCandleHistory(this.history, o.config.exchange.instruments.map((i) => i.id));
      },
      stop: async () => {
        unlisten();
        await this.historyWriter?.stop();
        await this.history?.close();
        this.history = null;
      },
    };
  }

  private async openReader(at: StoreLocation): Promise<void> {
    try {
      const reader = await openHistoryStore(at, { readonly: true });
      // The exchange stopped while it opened: nothing is left to read it.
      if (this.historyWriter?.status.state === "stopped") return void (await reader.close());
      this.history = reader;
      if (this.orderEntry) this.orderEntry.history = orderHistory(reader);
    } catch (e) {
      this.log.warn("the history store answers the writer but not a reader: finished orders answer from memory only", { err: e });
    }
  }

  /** One order entry for both doors: a FIX order and a WebSocket order trade against each other and each side hears of it on its own door. */
  private orderEntryPart(): Part {
    let unlisten = () => {};
    return {
      name: "order entry",
      start: () => {
        const orderEntry = new OrderEntry(this.engine.host);
        orderEntry.metrics = this.metrics?.orders ?? null;
        // Finished orders the read model has let go of (or that ended before a restart) are answered from the store.
        if (this.history) orderEntry.history = orderHistory(this.history);
        // Its delivery listener first: it opens the WebSocket door's batch for the listeners after it.
        unlisten = orderEntry.listen();
        // Recovered open orders belong to no session until a client claims them (docs/protocol.md).
        for (const r of this.engine.recovered.orders) orderEntry.orders.add({ ...r, session: 0 });
        this.orderEntry = orderEntry;
      },
      stop: () => unlisten(),
    };
  }

  /** Market data starts from the books as recovered, read before any command ran. */
  private marketDataPart(): Part {
    return {
      name: "market data",
      start: () => {
        this.marketData = new MarketDataFanout(
          this.o.config.exchange.instruments.map((i) => i.id),
          this.engine.recovered.books,
          this.candleHistory ?? undefined,
        );
      },
      stop: () => {},
    };
  }

  private healthPart(): Part {
    return {
      name: "health",
      start: () => {
        // The writer as it is at each question (null without history): one that failed makes the exchange not ready.
        const hasHistory = this.parts.some((p) => p.name === "history");
        this.availability = new Availability(this.engine.host, () => (hasHistory ? (this.historyWriter?.status.state ?? "failed") : null));
      },
      // Not ready from the first step of a clean shutdown (the WebSocket door says so too as it stops).
      stop: () => this.availability?.shuttingDown(),
    };
  }

  /** The event-loop lag timer behind /metrics; the WebSocket door serves the scrape. */
  private metricsPart(metrics: ExchangeMetrics): Part {
    return { name: "metrics", start: () => metrics.start(), stop: () => metrics.stop() };
  }

  private webSocketPart(address: DoorAddress): Part {
    const o = this.o;
    let restOrders: RestOrderDesk;
    let offAlerts = () => {};
    return {
      name: "websocket",
      start: () => {
        // The REST door's orders go through the same order entry as the WebSocket and FIX doors'.
        restOrders = new RestOrderDesk(this.orderEntry!);
        try {
          this.gateway = startGateway({
            sequencer: this.engine.host,
            instruments: o.config.exchange.instruments,
            config: o.config.gateway,
            keys: this.keys,
            loginGuard: this.loginGuard,
            ...(this.tls ? { tls: { cert: this.tls.cert, key: this.tls.key } } : {}),
            port: o.port,
            host: o.host,
            orderEntry: this.orderEntry!,
            marketData: this.marketData!,
            availability: this.availability!,
            portfolio: { read: (account) => this.engine.host.portfolio(account), feeAccount: o.config.exchange.feeAccount ?? 0 },
            operatorAuth: (token) => operatorAuth(this.identity, token),
            ...(this.metrics ? { metrics: () => this.metrics!.registry.response() } : {}),
            restRoutes: [
              identityRoutes(this.identity!),
              accountAdminRoutes(this.identity!),
              orderRoutes(this.identity!, () => restOrders, o.config.exchange.instruments.map(makeInstrument)),
              portfolioRoutes(this.identity!, (account) => this.engine.host.portfolio(account)),
              accountHistoryRoutes(this.identity!, () => this.history, o.config.exchange.instruments.map(makeInstrument), o.config.exchange.currencies),
              statementRoutes(this.identity!, () => this.history, o.config.exchange),
              marketControlRoutes(this.identity!, o.config.exchange.instruments),
              venueRoutes(this.identity!, o.config.exchange.instruments, new Map(Object.entries(o.config.venues ?? {}).map(([name, v]) => [name, v.account]))),
              alertRoutes(this.identity!, () => this.history),
              // The store may answer later than the door starts, or not at all: read it per request.
              marketRoutes({ marketData: this.marketData!, history: () => this.history, instruments: o.config.exchange.instruments }),
            ],
            log: this.log,
          });
        } catch (e) {
          throw listenError(e, address);
        }
        // Alerts reach operator sessions once the history store holds them (docs/monitoring.md).
        const gateway = this.gateway;
        offAlerts =
          this.historyWriter?.onAlerts((alerts) => {
            this.metrics?.alerted(alerts);
            gateway.pushAlerts(alerts);
          }) ?? (() => {});
      },
      stop: async () => {
        offAlerts();
        await this.gateway?.stop();
        restOrders?.close();
      },
    };
  }

  private fixPart(address: DoorAddress): Part {
    const o = this.o;
    return {
      name: "fix",
      start: () => {
        try {
          this.fix = startFixAcceptor({
            orderEntry: this.orderEntry!,
            instruments: o.config.exchange.instruments.map(makeInstrument),
            keys: this.keys,
            loginGuard: this.loginGuard,
            ...(this.tls ? { tls: { cert: this.tls.cert, key: this.tls.key } } : {}),
            dataDir: o.dataDir,
            config: o.config.fix,
            // The FIX door serves the same delivered market data as the WebSocket door (MarketDataRequest).
            ...(this.marketData ? { marketData: this.marketData } : {}),
            host: o.host,
            port: o.fixPort ?? (o.port === 0 ? 0 : undefined),
            log: this.log,
          });
        } catch (e) {
          throw listenError(e, address);
        }
      },
      stop: () => this.fix?.stop(),
    };
  }

  /** Routing to external venues (docs/venues.md): a router and a FIX initiator link per venue. */
  private venuesPart(): Part {
    const o = this.o;
    return {
      name: "venues",
      start: () => {
        // A street account must exist, or every order routed there would be refused VENUE_UNAVAILABLE with no clue why.
        const open = new Set([...this.engine.recovered.accounts, ...(o.config.accounts ?? []).map((a) => a.id)]);
        for (const [name, v] of Object.entries(o.config.venues!)) {
          if (v.routing !== false && !open.has(v.account)) throw new OperatorError(`venues.${name}.account: account ${v.account} is not open; open it in the accounts section (the venue's street account)`);
        }
        const books = this.engine.recovered.books;
        this.venues = startVenues({
          venues: o.config.venues!,
          instruments: o.config.exchange.instruments.map(makeInstrument),
          sequencer: this.engine.host,
          dataDir: o.dataDir,
          submit: (init) => this.identity!.directory.submit(init),
          initialMarketData: (symbol) => books.find((b) => b.symbol === symbol)?.status?.marketData ?? 0,
          log: this.log,
        });
      },
      stop: () => stopVenues(this.venues),
    };
  }

  private revocationsPart(): Part {
    let off = () => {};
    return {
      name: "revocations",
      start: () => {
        off = this.identity!.directory.onRevoke((keyId) => {
          const closed = (this.gateway?.closeKey(keyId) ?? 0) + (this.fix?.closeKey(keyId) ?? 0);
          this.log.info("API key revoked", { key: keyId, closedSessions: closed });
        });
      },
      stop: () => off(),
    };
  }

  /** The scheduled end-of-day reconciliation (app/reconcile-schedule.ts), its run in a worker (app/reconcile-job.ts). */
  private reconcilePart(): Part {
    const o = this.o;
    let schedule: ReconcileSchedule | null = null;
    let job: ReconcileJob | null = null;
    return {
      name: "reconciliation",
      start: () => {
        const settings = reconcileSettings(o.config.reconcile, o.dataDir);
        const clock = o.clock ?? Date.now;
        const pushAlert = (a: AlertRow) => {
          this.metrics?.alerted([a]);
          this.gateway?.pushAlerts([a]);
        };
        job = new ReconcileJob({ dataDir: o.dataDir, config: o.config, settings, log: this.log, store: () => this.history, pushAlert, clock });
        const j = job;
        const run = async (day: string) => {
          const r = await j.run(day);
          this.metrics?.reconciled(r, clock());
          return r;
        };
        schedule = new ReconcileSchedule({ atMinutes: settings.atMinutes, out: settings.out, run, log: this.log, clock, timer: o.reconcileTimer });
        this.reconciliation = schedule;
        schedule.start();
      },
      stop: async () => {
        job?.stop();
        await schedule?.stop();
      },
    };
  }

  private engineStopPart(): Part {
    return {
      name: "engine stop",
      start: () => {
        this.stopped = drainOnStop({ sequencer: this.engine.host, orderEntry: this.orderEntry!, gateway: this.gateway!, fix: this.fix, log: this.log });
      },
      stop: () => {},
    };
  }
}

/** checkConfig, and the API keys the doors will take (before any directory is opened). */
export function checkServeConfig(config: BourseConfig, file: string): void {
  checkConfig(config, file);
  try {
    reconcileSettings(config.reconcile, ".");
  } catch (e) {
    throw new OperatorError(`${file}: ${(e as Error).message}`, { cause: e });
  }
  // Each key alone first, so its error names its path; then all together (a CompID given to two keys).
  for (const [i, a] of (config.accounts ?? []).entries()) {
    for (const [j, k] of (a.apiKeys ?? []).entries()) {
      try {
        ApiKeys.fromConfig({ accounts: [{ id: a.id, apiKeys: [k] }] });
      } catch (e) {
        throw new OperatorError(`${file}: accounts[${i}].apiKeys[${j}]: ${(e as Error).message}`, { cause: e });
      }
    }
  }
  try {
    ApiKeys.fromConfig(config);
  } catch (e) {
    throw new OperatorError(`${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Where the doors will listen: the WebSocket/HTTP door, then FIX unless the config turns it off. */
export function doorAddresses(o: Pick<ExchangeOptions, "config" | "host" | "port" | "fixPort">): DoorAddress[] {
  const host = o.host ?? o.config.gateway?.host ?? "127.0.0.1";
  const doors: DoorAddress[] = [{ door: "WebSocket/HTTP", host, port: o.port ?? o.config.gateway?.port ?? 7070, flag: "--port" }];
  if (o.config.fix?.enabled !== false) {
    doors.push({ door: "FIX", host: o.host ?? o.config.fix?.host ?? "127.0.0.1", port: o.fixPort ?? (o.port === 0 ? 0 : (o.config.fix?.port ?? 9878)), flag: "--fix-port" });
  }
  return doors;
}

/** LOGIN_TOKEN on the WebSocket door: a live user session of an operator or auditor (a trader trades with an API key). */
function operatorAuth(id: IdentityParts | null, token: string): ReturnType<OperatorAuth> {
  const r = id?.signIn.session(token);
  if (!r?.ok) return { ok: false, code: "AUTH_FAILED", message: r?.message ?? "no identity on this exchange" };
  if (!readsAll(r.value)) return { ok: false, code: "NOT_PERMITTED", message: "traders log in with an API key (LOGIN): LOGIN_TOKEN is for operators and auditors" };
  return { ok: true, name: callerName(r.value) };
}
