/**
 * Our executions against a venue's drop copy, for one UTC day (docs/reconciliation.md): our side
 * is the client's fills on the venue's instruments (every execution row of a routed symbol whose
 * account is not the venue's street account), the venue's is its drop copy. Both are spilled into
 * the external sort (reconcile/fill-spill.ts) as they stream in, then read back one ClOrdID at a
 * time and matched (reconcile/venue-match.ts). Breaks get ids from their kind and the fills' own
 * ids (our seq/idx/liquidity, the venue's ExecID), so the next run finds the same ones.
 */
import { formatPrice, formatQty, type Instrument, makeInstrument } from "../engine/instrument.ts";
import { formatAmount } from "../engine/money.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";
import type { ExecutionRow } from "../history/rows.ts";
import type { HistoryStore } from "../history/store.ts";
import { type Break, BreakKind, makeBreak } from "./breaks.ts";
import type { UtcDay } from "./day.ts";
import { readDropCopy } from "./drop-copy.ts";
import { FillSpill, OURS, VENUE } from "./fill-spill.ts";
import { canonical, type Fill, notionalOf, recordOf, SIDE_NAMES } from "./venue-fill.ts";
import { type Finding, matchOrder } from "./venue-match.ts";

/** How far the venue's time of a fill may be from ours and still be the same fill. */
export const DEFAULT_VENUE_TOLERANCE_US = 5_000_000;

export interface VenueSide {
  name: string;
  /** The street account: the venue's side of every routed fill. */
  account: number;
  feeBps?: number;
  /** The instruments routed to it. */
  symbols: readonly number[];
  dropCopy: string;
  toleranceUs?: number;
}

export interface VenueCompared {
  name: string;
  /** Our client-side fills of the day on the venue's instruments, and the venue's fills read (in the day ± the tolerance). */
  ours: number;
  theirs: number;
  /** The venue's fills outside the day, with the tolerance: not compared. */
  outsideDay: number;
  /** The venue's fills not among ours but outside the day itself (the tolerance's margin): the neighbouring day's, not reported. */
  margin: number;
  /** The venue's fills not among ours and later than the replay reached (the history store lags): not reported. */
  afterReplay: number;
}

/** The venue step of one run: fed our executions during the replay, then compared at `finish`. */
export class VenueReconciliation {
  private readonly spill = new FillSpill();
  private readonly instruments: Map<number, Instrument>;
  private readonly routed: Set<number>;
  private readonly minor = new Map<number, string>();
  private readonly quote = new Map<number, string>();
  readonly compared: VenueCompared;
  private readonly tol: number;

  private constructor(
    private readonly v: VenueSide,
    config: ExchangeConfig,
    private readonly day: UtcDay,
  ) {
    this.instruments = new Map(config.instruments.filter((s) => v.symbols.includes(s.id)).map((s) => [s.id, makeInstrument(s)]));
    this.routed = new Set(v.symbols);
    for (const i of this.instruments.values()) {
      const c = config.currencies.find((c) => c.code === i.quote);
      this.minor.set(i.id, c ? formatAmount(c, 1n) : "1");
      this.quote.set(i.id, i.quote || "");
    }
    this.tol = v.toleranceUs ?? DEFAULT_VENUE_TOLERANCE_US;
    this.compared = { name: v.name, ours: 0, theirs: 0, outsideDay: 0, margin: 0, afterReplay: 0 };
  }

  /** Reads the drop copy into the sort (a bad file is refused here, before any replay). */
  static async open(v: VenueSide, config: ExchangeConfig, day: UtcDay): Promise<VenueReconciliation> {
    const r = new VenueReconciliation(v, config, day);
    try {
      const bySymbol = new Map([...r.instruments.values()].map((i) => [i.symbol, i]));
      for await (const f of readDropCopy(v.dropCopy, bySymbol)) {
        if (f.time < day.start - r.tol || f.time >= day.end + r.tol) r.compared.outsideDay++;
        else r.spill.add(VENUE, f);
      }
      r.compared.theirs = r.spill.counts[VENUE]!;
      return r;
    } catch (e) {
      r.close();
      throw e;
    }
  }

  /** One of the journal's execution rows of the day, in any order: kept when it is a client's fill on a routed symbol. */
  execution(row: ExecutionRow): void {
    if (!this.routed.has(row.symbol) || row.account === this.v.account) return;
    const inst = this.instruments.get(row.symbol)!;
    const qty = canonical(formatQty(inst, row.qty));
    const px = canonical(formatPrice(inst, row.price));
    this.spill.add(OURS, {
      order: row.orderId, time: row.time, side: row.side, qty, px, id: `${row.seq}/${row.idx}/${row.liquidity}`, commission: null, symbol: row.symbol, account: row.account,
      record: { seq: row.seq, idx: row.idx, liquidity: row.liquidity, tradeId: row.tradeId, time: new Date(Math.floor(row.time / 1000)).toISOString(), symbol: inst.symbol, orderId: row.orderId, account: row.account, side: SIDE_NAMES[row.side] ?? row.side, qty, price: px, counterAccount: row.counterAccount },
    });
    this.compared.ours++;
  }

  /**
   * Compares what was fed; each break to `onBreak`. With the store, a venue fill near either edge
   * of the day that meets none of ours is looked up there first: our fill of it may lie on the
   * other side of midnight (the clocks differ by up to the tolerance), which is the neighbouring
   * day's run's to match, not a break. `replayedTo`: the engine time our side reaches when the
   * replay stopped short of the day (a lagging store); venue fills after it are not reported.
   */
  async finish(onBreak: (b: Break) => void, store?: Pick<HistoryStore, "order">, replayedTo = Infinity): Promise<void> {
    for (const { copy, first } of this.spill.takeRepeatedExecIds()) {
      onBreak(this.toBreak({ kind: BreakKind.DUPLICATE, ours: [], theirs: [copy, first], amount: notionalOf(copy), text: `ExecID ${copy.id} is in the drop copy more than once (lines ${recordOf(first).line} and ${recordOf(copy).line})` }));
    }
    const rules = { toleranceUs: this.tol, feeBps: this.v.feeBps, minorUnit: (s: number) => this.minor.get(s) ?? "0" };
    const nearEdge: Finding[] = [];
    for (const g of this.spill.orders()) {
      for (const f of matchOrder(g.ours, g.venue, rules)) {
        if (f.kind === BreakKind.MISSING_IN_OURS) {
          const v = f.theirs[0]!;
          // A venue fill in the tolerance's margin around the day that meets none of ours belongs to the day beside it.
          if (v.time < this.day.start || v.time >= this.day.end) {
            this.compared.margin++;
            continue;
          }
          if (v.time > replayedTo - this.tol) {
            this.compared.afterReplay++;
            continue;
          }
          if (store && v.order >= 0 && (v.time < this.day.start + this.tol || v.time >= this.day.end - this.tol)) {
            nearEdge.push(f);
            continue;
          }
        }
        onBreak(this.toBreak(f));
      }
    }
    for (const f of nearEdge) {
      if (await this.acrossMidnight(f.theirs[0]!, store!)) this.compared.margin++;
      else onBreak(this.toBreak(f));
    }
  }

  /** The store holds our fill of `v` on the other side of the day's edge, within the tolerance. */
  private async acrossMidnight(v: Fill, store: Pick<HistoryStore, "order">): Promise<boolean> {
    const r = await store.order(v.order);
    const inst = this.instruments.get(v.symbol)!;
    return (r?.executions ?? []).some(
      (e) =>
        e.account !== this.v.account && (e.time < this.day.start || e.time >= this.day.end) && Math.abs(e.time - v.time) <= this.tol &&
        e.side === v.side && canonical(formatQty(inst, e.qty)) === v.qty && canonical(formatPrice(inst, e.price)) === v.px,
    );
  }

  close(): void {
    this.spill.close();
  }

  private toBreak(f: Finding): Break {
    const any = (f.ours[0] ?? f.theirs[0])!;
    const inSymbol = f.kind === BreakKind.QUANTITY;
    const inst = this.instruments.get(any.symbol)!;
    const keys = [this.day.text, "venue", this.v.name, ...f.ours.map((x) => x.id), "|", ...f.theirs.map((x) => x.id)];
    return makeBreak(f.kind, keys, {
      day: this.day.text,
      account: f.ours[0]?.account ?? this.v.account,
      asset: inSymbol ? inst.symbol : this.quote.get(any.symbol)!,
      ours: f.ours.length === 0 ? null : fillsRecord(f.ours),
      theirs: f.theirs.length === 0 ? null : fillsRecord(f.theirs),
      amount: f.amount.toFixed(),
      text: `${this.v.name}: ${f.text}`,
    });
  }
}

/** One fill's record as it is; several (an order split differently) as a JSON list in `fills`. */
function fillsRecord(fs: Fill[]): Break["ours"] {
  if (fs.length === 1) return recordOf(fs[0]!);
  return { fills: JSON.stringify(fs.map(recordOf)) };
}
