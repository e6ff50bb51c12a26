/**
 * Transaction monitoring (docs/monitoring.md): the rules run inside the history writer, over the
 * same replayed commands and events the rows are built from — off the order path, judged by engine
 * time, never the wall clock. Each alert is a row of the writer's batch (keyed by the command's
 * seq, the rule and the account), and the rule state of every account the batch touched goes with
 * it, in the same transaction: a resumed writer starts from exactly the state its store records.
 */
import type { DeliveredEvents } from "../../actors/delivered-events.ts";
import { type Command, CommandType, Side } from "../../engine/commands.ts";
import { AccountEvent, EventType, OrderStateChange, Rejected, SymbolStatus, Trade } from "../../engine/events.ts";
import type { Exchange } from "../../engine/exchange.ts";
import { OrderState } from "../../engine/order-state.ts";
import { AccountWatch } from "./account-watch.ts";
import { type AlertRow, Rule, Severity, type MonitorStateRow } from "./alerts.ts";
import { judgeSize } from "./large-size.ts";
import { dropQuietSymbols, judgePosition } from "./rapid-position.ts";
import { judgeBurst } from "./reject-burst.ts";
import type { MonitoringSettings } from "./settings.ts";
import { judgeHour } from "./unusual-hour.ts";
import { judgeMarketDataFlag } from "./market-data-flag.ts";
import { judgeNewDestination, judgeQuickWithdrawal, noteDeposit, noteDestination } from "./withdrawals.ts";
import { reasonName } from "../../engine/reasons.ts";

/** The router's journaled reports of what a venue said (engine/commands.ts, VENUE_*). */
function isVenueReport(type: number): boolean {
  return type === CommandType.VENUE_ACK || type === CommandType.VENUE_FILL || type === CommandType.VENUE_DONE || type === CommandType.VENUE_CANCEL_REJECT;
}

export class Monitor {
  private readonly watches = new Map<number, AccountWatch>();
  /** Accounts whose state changed since the last takeState(). */
  private readonly dirty = new Set<number>();
  /** Per command, reused: the accounts it refused or cancelled for. */
  private readonly flows = new Map<number, number>();

  /** `x` is the writer's replica (tiers, markets); `saved` the states the store holds. */
  constructor(
    private readonly x: Exchange,
    private readonly settingsOf: (tier: number) => MonitoringSettings,
    saved: Iterable<MonitorStateRow> = [],
  ) {
    for (const r of saved) this.watches.set(r.account, AccountWatch.from(r.state));
  }

  /** Judges one applied command (events as the replica produced them; rewound after). */
  observe(seq: number, time: number, ev: DeliveredEvents, cmd: Command, out: AlertRow[]): void {
    const d = ev.data;
    this.flows.clear();
    let sawOrder = false;
    while (ev.next()) {
      const b = ev.at;
      switch (ev.type) {
        case EventType.ORDER_STATE:
          if (OrderStateChange.from(d, b) === OrderState.NONE) sawOrder = true;
          // A cancel counts once per command: a mass cancel of a thousand orders is one act, not a burst.
          if (OrderStateChange.to(d, b) === OrderState.CANCELLED && (cmd.type === CommandType.CANCEL || cmd.type === CommandType.MASS_CANCEL)) this.flows.set(OrderStateChange.account(d, b), 1);
          break;
        case EventType.REJECTED:
          if (isVenueReport(Rejected.commandType(d, b))) {
            this.venueBreak(seq, time, out, ev.symbol, d, b);
            break;
          }
          if (Rejected.commandType(d, b) === CommandType.NEW_ORDER) sawOrder = true;
          this.flows.set(Rejected.account(d, b), 1);
          break;
        case EventType.TRADE:
          this.fill(seq, time, out, ev.symbol, Trade.takerAccount(d, b), Trade.takerSide(d, b), Trade.price(d, b), Trade.qty(d, b));
          this.fill(seq, time, out, ev.symbol, Trade.makerAccount(d, b), 1 - Trade.takerSide(d, b), Trade.price(d, b), Trade.qty(d, b));
          break;
        case EventType.ACCOUNT:
          this.accountCommand(seq, time, out, cmd, AccountEvent.account(d, b), AccountEvent.commandType(d, b));
          break;
        case EventType.STATUS: {
          const flag = judgeMarketDataFlag(cmd, ev.symbol, SymbolStatus.marketData(d, b), this.x.ledger.markets.get(ev.symbol)?.inst.symbol);
          // The instrument's, not an account's: it is filed under the exchange's own (fee) account.
          if (flag) this.raise(out, seq, Rule.VENUE_MARKET_DATA, this.x.ledger.feeAccount, time, Severity.HIGH, flag.text, flag.detail);
          break;
        }
      }
    }
    ev.rewind();
    if (sawOrder && cmd.type === CommandType.NEW_ORDER) this.order(seq, time, out, cmd);
    for (const [account, count] of this.flows) {
      const s = this.settings(account);
      const w = this.watch(account);
      const f = judgeBurst(w, time, count, s);
      if (f && s.enabled && w.mayFire(Rule.REJECT_BURST, time, s.cooldownUs)) {
        this.raise(out, seq, Rule.REJECT_BURST, account, time, Severity.MEDIUM, `${f.count} rejects and cancels within ${f.windowUs / 1e6} s`, f);
      }
    }
  }

  /** The states changed since the last call, to write with the batch; the next batch starts clean. */
  takeState(): MonitorStateRow[] {
    const rows: MonitorStateRow[] = [];
    for (const account of this.dirty) rows.push({ account, state: JSON.stringify(this.watches.get(account)!) });
    this.dirty.clear();
    return rows;
  }

  private order(seq: number, time: number, out: AlertRow[], cmd: Command): void {
    const account = cmd.account;
    const s = this.settings(account);
    const w = this.watch(account);
    const m = this.x.ledger.markets.get(cmd.symbol);
    // A market order has no limit: the last trade prices it (none yet: its size is not judged).
    const price = cmd.price > 0 ? cmd.price : (m?.lastPrice ?? 0);
    const size = m ? judgeSize(w, "order", price * cmd.qty * m.kNum, s) : null;
    if (size && s.enabled && w.mayFire(Rule.LARGE_ORDER, time, s.cooldownUs)) {
      this.raise(out, seq, Rule.LARGE_ORDER, account, time, Severity.MEDIUM, `order ${cmd.orderId} is ${size.factor.toFixed(1)}x the account's usual order`, { orderId: cmd.orderId, symbol: cmd.symbol, ...size });
    }
    const hour = judgeHour(w, time, s);
    if (hour && s.enabled && w.mayFire(Rule.UNUSUAL_HOUR, time, s.cooldownUs)) {
      this.raise(out, seq, Rule.UNUSUAL_HOUR, account, time, Severity.LOW, `order ${cmd.orderId} at ${String(hour.hour).padStart(2, "0")}:00 UTC, an hour with ${(hour.share * 100).toFixed(2)}% of the account's orders`, { orderId: cmd.orderId, ...hour });
    }
  }

  /** A venue's report the engine refused: a break, raised for operators whatever the account's settings (it is not the account's doing). */
  private venueBreak(seq: number, time: number, out: AlertRow[], symbol: number, d: Float64Array, b: number): void {
    const reason = reasonName(Rejected.reason(d, b));
    const orderId = Rejected.orderId(d, b);
    const venue = this.x.ledger.markets.get(symbol)?.inst.venue || undefined;
    this.raise(out, seq, Rule.VENUE_BREAK, Rejected.account(d, b), time, Severity.HIGH, `venue report for order ${orderId} refused: ${reason}; nothing settled`, { orderId, reason, commandType: Rejected.commandType(d, b), qty: Rejected.qty(d, b), price: Rejected.price(d, b), ...(venue ? { venue } : {}) });
  }

  private fill(seq: number, time: number, out: AlertRow[], symbol: number, account: number, side: number, price: number, qty: number): void {
    const m = this.x.ledger.markets.get(symbol);
    // A venue's street account is every routed client's counterparty at once: its sizes say nothing of anyone's behaviour.
    if (!m || account === this.x.ledger.feeAccount || account === m.inst.venueAccount) return;
    const s = this.settings(account);
    const w = this.watch(account);
    const notional = price * qty * m.kNum;
    const size = judgeSize(w, "fill", notional, s);
    if (size && s.enabled && w.mayFire(Rule.LARGE_FILL, time, s.cooldownUs)) {
      this.raise(out, seq, Rule.LARGE_FILL, account, time, Severity.MEDIUM, `a fill of ${qty} lots is ${size.factor.toFixed(1)}x the account's usual fill`, { symbol, price, qty, ...size });
    }
    dropQuietSymbols(w, time, s);
    const pos = judgePosition(w, symbol, time, side === Side.BUY ? notional : -notional, s);
    if (pos && s.enabled && w.mayFire(Rule.RAPID_POSITION, time, s.cooldownUs)) {
      this.raise(out, seq, Rule.RAPID_POSITION, account, time, Severity.HIGH, `net ${pos.net > 0 ? "bought" : "sold"} ${(Math.abs(pos.net) / pos.usual).toFixed(0)}x the usual fill in ${pos.fills} fills within ${s.positionWindowUs / 1e6} s`, pos);
    }
  }

  private accountCommand(seq: number, time: number, out: AlertRow[], cmd: Command, account: number, type: number): void {
    if (type !== CommandType.DEPOSIT && type !== CommandType.WITHDRAW && type !== CommandType.ADD_DESTINATION) return;
    const s = this.settings(account);
    const w = this.watch(account);
    if (type === CommandType.DEPOSIT) noteDeposit(w, time, cmd.currency, cmd.amount, s);
    else if (type === CommandType.ADD_DESTINATION) noteDestination(w, time, cmd.destination, s);
    else {
      const quick = judgeQuickWithdrawal(w, time, cmd.currency, cmd.amount, s);
      if (quick && s.enabled && w.mayFire(Rule.QUICK_WITHDRAWAL, time, s.cooldownUs)) {
        this.raise(out, seq, Rule.QUICK_WITHDRAWAL, account, time, Severity.HIGH, `withdrawal ${Math.round(quick.sinceUs / 60e6)} min after depositing`, { currency: cmd.currency, amount: cmd.amount.toString(), deposited: quick.deposited.toString(), sinceUs: quick.sinceUs });
      }
      const fresh = judgeNewDestination(w, time, cmd.destination, s);
      if (fresh && s.enabled && w.mayFire(Rule.NEW_DESTINATION_WITHDRAWAL, time, s.cooldownUs)) {
        this.raise(out, seq, Rule.NEW_DESTINATION_WITHDRAWAL, account, time, Severity.MEDIUM, `withdrawal to a destination added ${(fresh.addedUs / 3600e6).toFixed(1)} h before`, { currency: cmd.currency, amount: cmd.amount.toString(), addedUs: fresh.addedUs });
      }
    }
  }

  private settings(account: number): MonitoringSettings {
    return this.settingsOf(this.x.ledger.accounts.get(account)?.tier ?? 0);
  }

  private watch(account: number): AccountWatch {
    let w = this.watches.get(account);
    if (!w) this.watches.set(account, (w = new AccountWatch()));
    this.dirty.add(account);
    return w;
  }

  private raise(out: AlertRow[], seq: number, rule: number, account: number, time: number, severity: number, text: string, detail: object): void {
    out.push({ seq, rule, account, time, severity, text, detail: JSON.stringify(detail) });
  }
}
