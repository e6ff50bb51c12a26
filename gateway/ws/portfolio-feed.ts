import type { DeliveredEvents } from "../../actors/delivered-events.ts";
import type { PortfolioRead } from "../../actors/sequencer.ts";
import { EngineStoppedError } from "../../actors/stop-listeners.ts";
import { CommandType } from "../../engine/commands.ts";
import { Accepted, AccountEvent, EventType, Trade } from "../../engine/events.ts";
import type { Portfolio as EnginePortfolio } from "../../engine/pnl.ts";
import type { Logger } from "../../log/logger.ts";
import { type Portfolio, type PortfolioCash, PortfolioKind, type PortfolioPosition } from "../../protocol/index.ts";

/** What the feed sends a PORTFOLIO frame with; the session adds its own sequence number. */
export type PortfolioFrame = Omit<Portfolio, "type" | "seq">;

/** A logged-in session as the feed sees it. */
export interface PortfolioTarget {
  readonly account: number;
  sendPortfolio(frame: PortfolioFrame): void;
}

export interface PortfolioFeedOptions {
  /** EngineHost.portfolio: the engine's state, answered once what it reflects is durable. */
  read: (account: number) => Promise<PortfolioRead>;
  /** The account that collects fees (its cash moves on every trade). */
  feeAccount: number;
  log: Logger;
}

/** One account with subscribers: what they were last sent and whether a read is due. */
class Watched {
  readonly targets = new Set<PortfolioTarget>();
  /** Sessions waiting for a snapshot, with the request it answers. */
  readonly waiting = new Map<PortfolioTarget, number>();
  cash = new Map<string, PortfolioCash>();
  positions = new Map<number, PortfolioPosition>();
  /** Instruments with an open position: a new mark there moves this account's value. */
  held = new Set<number>();
  portfolioSeq = 0;
  engineSeq = 0;
  reading = false;
  dirty = false;

  constructor(readonly account: number) {}

  get idle(): boolean {
    return this.targets.size === 0 && this.waiting.size === 0;
  }
}

/**
 * The live portfolio of the WebSocket door (docs/protocol.md, The live portfolio): for each account
 * with subscribed sessions, the delivered events say when its state may have changed (an order of
 * its accepted, filled, amended, cancelled or expired; a deposit; a trade or mark price in an
 * instrument it holds), and the feed then reads the engine's own state (engine/pnl.ts, the figures
 * REST answers) and sends each session the entries that differ from what it was last sent.
 *
 * Reading the engine, not folding events here, keeps one definition of reservations, fees and
 * average cost (the engine's) instead of a second copy to drift from it. A read waits until what it
 * reflects is durable (EngineHost.portfolio), and one account has one read in flight: deliveries
 * during it only mark the account dirty, so a burst of fills costs one more read, not one each.
 * With no subscriber the delivery listener returns at once.
 */
export class PortfolioFeed {
  private readonly watched = new Map<number, Watched>();
  /** Accounts by instrument they hold, so a trade's new mark finds them without a scan. */
  private readonly holders = new Map<number, Set<Watched>>();
  private scheduled = false;

  constructor(private readonly opts: PortfolioFeedOptions) {}

  /** Starts (or restarts, after a gap) a session's feed: a SNAPSHOT answering `requestId`, then UPDATEs. */
  subscribe(t: PortfolioTarget, requestId: number): void {
    let w = this.watched.get(t.account);
    if (!w) this.watched.set(t.account, (w = new Watched(t.account)));
    w.targets.delete(t);
    w.waiting.set(t, requestId);
    this.mark(w);
  }

  /** Ends a session's feed with an UNSUBSCRIBED answer. */
  unsubscribe(t: PortfolioTarget, requestId: number): void {
    const w = this.watched.get(t.account);
    t.sendPortfolio({ requestId, kind: PortfolioKind.UNSUBSCRIBED, portfolioSeq: w?.portfolioSeq ?? 0, engineSeq: w?.engineSeq ?? 0, account: t.account, cash: [], positions: [] });
    this.detach(t);
  }

  /** A session closed: forget it, and its account when it was the last. */
  detach(t: PortfolioTarget): void {
    const w = this.watched.get(t.account);
    if (!w) return;
    w.targets.delete(t);
    w.waiting.delete(t);
    if (w.idle) this.forget(w);
  }

  /** Subscribed sessions, for tests and metrics. */
  get subscribers(): number {
    let n = 0;
    for (const w of this.watched.values()) n += w.targets.size;
    return n;
  }

  /** The door's delivery listener (readDeliveries): marks the accounts a command may have changed. */
  readonly deliver = (r: DeliveredEvents): void => {
    if (this.watched.size === 0) return;
    const d = r.data;
    while (r.next()) {
      const at = r.at;
      switch (r.type) {
        case EventType.TRADE:
          this.touch(Trade.takerAccount(d, at));
          this.touch(Trade.makerAccount(d, at));
          this.touch(this.opts.feeAccount);
          this.touchHolders(r.symbol);
          break;
        case EventType.ACCOUNT:
          if (AccountEvent.commandType(d, at) === CommandType.SET_MARK_PRICE) this.touchHolders(AccountEvent.subject(d, at));
          else this.touch(AccountEvent.account(d, at));
          break;
        case EventType.ACCEPTED:
        case EventType.CANCELLED:
        case EventType.EXPIRED:
        case EventType.AMENDED:
        case EventType.STOP_TRIGGERED:
          // Accepted.account is the same slot as Cancelled's, StopTriggered's and Amended's.
          this.touch(Accepted.account(d, at));
          break;
      }
    }
  };

  private touch(account: number): void {
    const w = this.watched.get(account);
    if (w) this.mark(w);
  }

  private touchHolders(symbol: number): void {
    const ws = this.holders.get(symbol);
    if (ws) for (const w of ws) this.mark(w);
  }

  private mark(w: Watched): void {
    w.dirty = true;
    if (this.scheduled) return;
    this.scheduled = true;
    // After the whole delivered batch: its commands mark, then one pass reads.
    queueMicrotask(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    for (const w of this.watched.values()) if (w.dirty && !w.reading) this.readInto(w);
  };

  private readInto(w: Watched): void {
    w.reading = true;
    w.dirty = false;
    this.opts.read(w.account).then(
      (r) => {
        w.reading = false;
        if (this.watched.get(w.account) !== w) return;
        this.apply(w, r);
        if (w.dirty) this.readInto(w);
      },
      (e) => {
        w.reading = false;
        // A stopped engine: the door closes every session; nothing to send.
        if (!(e instanceof EngineStoppedError)) this.opts.log.error("portfolio read failed", { account: w.account, err: e });
      },
    );
  }

  private apply(w: Watched, r: PortfolioRead): void {
    const cash = new Map<string, PortfolioCash>();
    const positions = new Map<number, PortfolioPosition>();
    if (r.portfolio) entriesOf(r.portfolio, cash, positions);
    const changedCash: PortfolioCash[] = [];
    const changedPositions: PortfolioPosition[] = [];
    for (const [k, c] of cash) if (!sameCash(w.cash.get(k), c)) changedCash.push(c);
    for (const [k, p] of positions) if (!samePosition(w.positions.get(k), p)) changedPositions.push(p);
    w.cash = cash;
    w.positions = positions;
    w.engineSeq = Math.max(w.engineSeq, r.seq);
    this.hold(w, r.portfolio);
    if ((changedCash.length > 0 || changedPositions.length > 0) && w.targets.size > 0) {
      w.portfolioSeq++;
      const frame: PortfolioFrame = { requestId: 0, kind: PortfolioKind.UPDATE, portfolioSeq: w.portfolioSeq, engineSeq: w.engineSeq, account: w.account, cash: changedCash, positions: changedPositions };
      for (const t of w.targets) t.sendPortfolio(frame);
    }
    if (w.waiting.size === 0) return;
    const all = { cash: [...cash.values()], positions: [...positions.values()] };
    for (const [t, requestId] of w.waiting) {
      t.sendPortfolio({ requestId, kind: PortfolioKind.SNAPSHOT, portfolioSeq: w.portfolioSeq, engineSeq: w.engineSeq, account: w.account, ...all });
      w.targets.add(t);
    }
    w.waiting.clear();
  }

  private hold(w: Watched, p: EnginePortfolio | undefined): void {
    const now = new Set<number>();
    if (p) for (const pos of p.positions) if (pos.qty !== 0) now.add(pos.symbol);
    for (const s of w.held) if (!now.has(s)) this.holders.get(s)?.delete(w);
    for (const s of now) {
      let set = this.holders.get(s);
      if (!set) this.holders.set(s, (set = new Set()));
      set.add(w);
    }
    w.held = now;
  }

  private forget(w: Watched): void {
    this.watched.delete(w.account);
    for (const s of w.held) this.holders.get(s)?.delete(w);
  }
}

/** The engine's figures as the protocol's entries: the same decimal strings REST answers. */
function entriesOf(p: EnginePortfolio, cash: Map<string, PortfolioCash>, positions: Map<number, PortfolioPosition>): void {
  for (const c of p.cash) cash.set(c.currency, { currency: c.currency, total: c.text.balance, reserved: c.text.reserved, available: c.text.available, equity: c.text.equity });
  for (const x of p.positions) {
    positions.set(x.symbol, { symbol: x.symbol, qty: x.text.qty, averageCost: x.text.averageCost, markPrice: x.text.mark, realizedPnl: x.text.realized, unrealizedPnl: x.text.unrealized });
  }
}

function sameCash(a: PortfolioCash | undefined, b: PortfolioCash): boolean {
  return a !== undefined && a.total === b.total && a.reserved === b.reserved && a.available === b.available && a.equity === b.equity;
}

function samePosition(a: PortfolioPosition | undefined, b: PortfolioPosition): boolean {
  return a !== undefined && a.qty === b.qty && a.averageCost === b.averageCost && a.markPrice === b.markPrice && a.realizedPnl === b.realizedPnl && a.unrealizedPnl === b.unrealizedPnl;
}
