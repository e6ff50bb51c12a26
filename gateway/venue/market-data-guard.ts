import { Actor, type CommandInit, CommandType, MarketDataStatus } from "../../engine/commands.ts";
import { reasonName } from "../../engine/reasons.ts";
import { type Logger, silentLogger } from "../../log/logger.ts";
import type { MarketDataSettings } from "./market-data-config.ts";

/** What a print is: the venue's best bid, best offer, or a trade. */
export type TickKind = "bid" | "offer" | "trade";

/** The engine's answer to a submitted command, as Directory.submit gives it. */
export type SubmitOutcome = { ok: true } | { ok: false; reason: number };

export interface MarketDataGuardOptions {
  settings: MarketDataSettings;
  /** The routed instruments the guard watches (engine symbol ids). */
  symbols: readonly number[];
  /** Submits a command through the runtime's one path for system and operator commands (Directory.submit). */
  submit: (init: CommandInit) => Promise<SubmitOutcome>;
  /** The time the guard starts watching (ms): an instrument with no data by `staleMs` after it is stale. */
  nowMs: number;
  /** The status the engine holds for a symbol at start (a flag survives a restart); default OK. */
  initial?: (symbol: number) => number;
  log?: Logger;
}

/** What the guard knows of one instrument. */
class Watched {
  /** Time of the last message of any kind (a bad tick is still a sign of life). */
  lastDataMs: number;
  /** The last price taken as good; 0 before the first print. */
  lastGood = 0;
  stale = false;
  /** A bad tick was seen and `goodStreak` has not yet reached clearAfterGoodPrints. */
  bad = false;
  goodStreak = 0;
  /** The status the engine holds, as far as the guard knows (the last one it confirmed). */
  held: number;
  /** A submit in flight: no second one until it is answered. */
  busy = false;

  constructor(
    readonly symbol: number,
    nowMs: number,
    held: number,
  ) {
    this.lastDataMs = nowMs;
    this.held = held;
  }

  get wanted(): number {
    return this.stale ? MarketDataStatus.STALE : this.bad ? MarketDataStatus.BAD_TICK : MarketDataStatus.OK;
  }
}

/**
 * Watches a venue's market data for the instruments routed to it and flags one whose data cannot
 * be trusted (issue 17): STALE when nothing came for `staleMs`, BAD_TICK when a print lies more than
 * `bandBps` from the last good price. A flag is a journaled MARKET_DATA_STATUS (engine: market and
 * stop orders on the symbol are refused while it holds), sent once per change of status, never per
 * tick; it is cleared (status OK) when fresh data comes back and, after a bad tick, once
 * `clearAfterGoodPrints` in-band prints in a row (or a fresh snapshot, `rebase`) say the data is
 * good again. A bad print is never taken as the new last good price.
 *
 * No sockets and no clock: the feed (market-data-feed.ts) calls `onTick`, a timer calls `check`, and
 * both give the time, so a test drives it with an injected clock.
 */
export class MarketDataGuard {
  private readonly watched = new Map<number, Watched>();
  private readonly log: Logger;

  constructor(private readonly o: MarketDataGuardOptions) {
    this.log = o.log ?? silentLogger;
    for (const symbol of o.symbols) this.watched.set(symbol, new Watched(symbol, o.nowMs, o.initial?.(symbol) ?? MarketDataStatus.OK));
  }

  /** The status the guard wants for `symbol` now (OK, STALE or BAD_TICK); undefined for a symbol it does not watch. */
  status(symbol: number): number | undefined {
    return this.watched.get(symbol)?.wanted;
  }

  /** One print from the venue. A symbol the guard does not watch is ignored. */
  onTick(symbol: number, kind: TickKind, priceTicks: number, timeMs: number): void {
    const w = this.watched.get(symbol);
    if (!w) return;
    if (timeMs > w.lastDataMs) w.lastDataMs = timeMs;
    w.stale = false;
    // A bid or offer of 0 (an empty side) says nothing of the price.
    if (!(priceTicks > 0)) return this.settle(w);
    if (w.lastGood === 0 || this.inBand(w.lastGood, priceTicks)) {
      w.lastGood = priceTicks;
      if (w.bad && ++w.goodStreak >= this.o.settings.clearAfterGoodPrints) w.bad = false;
    } else {
      if (!w.bad) this.log.warn("venue printed a bad tick", { symbol, kind, price: priceTicks, lastGood: w.lastGood, bandBps: this.o.settings.bandBps });
      w.bad = true;
      w.goodStreak = 0;
    }
    this.settle(w);
  }

  /**
   * A fresh full snapshot of the venue's book (a MarketDataSnapshotFullRefresh it sent to a new
   * subscription): its price becomes the last good one and a bad tick is cleared — the venue has
   * restated its market, which is how a genuine jump past the band is accepted.
   */
  rebase(symbol: number, priceTicks: number, timeMs: number): void {
    const w = this.watched.get(symbol);
    if (!w) return;
    if (timeMs > w.lastDataMs) w.lastDataMs = timeMs;
    w.stale = false;
    if (priceTicks > 0) w.lastGood = priceTicks;
    w.bad = false;
    w.goodStreak = 0;
    this.settle(w);
  }

  /** The timer: flags every watched instrument with no data for more than staleMs. */
  check(nowMs: number): void {
    for (const w of this.watched.values()) {
      if (!w.stale && nowMs - w.lastDataMs > this.o.settings.staleMs) {
        w.stale = true;
        this.log.warn("venue market data is stale", { symbol: w.symbol, lastDataMs: w.lastDataMs, staleMs: this.o.settings.staleMs });
      }
      // Also retries a change whose submit failed.
      this.settle(w);
    }
  }

  private inBand(reference: number, price: number): boolean {
    return Math.abs(price - reference) * 10_000 <= this.o.settings.bandBps * reference;
  }

  /** Sends the status the symbol should have, if the engine does not hold it and nothing is in flight. */
  private settle(w: Watched): void {
    const want = w.wanted;
    if (w.busy || want === w.held) return;
    w.busy = true;
    this.o
      .submit({ type: CommandType.MARKET_DATA_STATUS, symbol: w.symbol, tier: want, actor: Actor.SYSTEM })
      .then(
        (r) => {
          if (r.ok) w.held = want;
          else this.log.error("market data status refused", { symbol: w.symbol, status: want, reason: reasonName(r.reason) });
        },
        (e: unknown) => this.log.error("market data status not submitted", { symbol: w.symbol, status: want, err: e }),
      )
      .finally(() => {
        w.busy = false;
        // What changed while it was in flight is sent now (a refused one waits for the next check).
        if (w.held === want) this.settle(w);
      });
  }
}
