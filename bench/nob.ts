/**
 * Adapter for the peer, nodejs-order-book (v10): replays a Stream through its OrderBook.
 *
 *   LIMIT_GTC → ob.limit({ id, side, size, price })              (timeInForce GTC)
 *   LIMIT_IOC → ob.limit({ ..., timeInForce: "IOC" })
 *   MARKET    → ob.market({ side, size })
 *   CANCEL    → ob.cancel(id)
 *   MOVE      → ob.modify(id, { price })   (size omitted = keep the remaining size; like our
 *                                          amend it cancels and re-enters: priority lost, may trade)
 *
 * No accountId is passed, so its self-trade prevention is off, as ours is (stp = NONE). Order ids
 * are strings in its API; they are built before timing, and the option objects are reused, so
 * the harness allocates nothing per op. What the library allocates per op is its own cost.
 */
import { type LimitOrderOptions, type MarketOrderOptions, OrderBook, Side as NobSide } from "nodejs-order-book";
import { Op, type Stream } from "./streams.ts";

type Tif = NonNullable<LimitOrderOptions["timeInForce"]>;
const GTC = "GTC" as Tif;
const IOC = "IOC" as Tif;

export class NobRunner {
  readonly ob = new OrderBook();
  private readonly ids: string[];
  private readonly limitOpts: LimitOrderOptions = { id: "", side: NobSide.BUY, size: 0, price: 0, timeInForce: GTC };
  private readonly marketOpts: MarketOrderOptions = { side: NobSide.BUY, size: 0 };
  private readonly update: { price: number } = { price: 0 };
  /** Cancels and moves whose order was not found (verification only). */
  misses = 0;

  /** `ids` may be shared between runners on the same stream (see idStrings). */
  constructor(ids: string[]) {
    this.ids = ids;
  }

  /** Runs ops [from, to) back to back. Returns a count of results seen (a checksum). */
  run(s: Stream, from: number, to: number): number {
    const ob = this.ob;
    const ids = this.ids;
    const lo = this.limitOpts;
    const mo = this.marketOpts;
    const up = this.update;
    const kind = s.kind, side = s.side, orderId = s.orderId, price = s.price, qty = s.qty;
    let seen = 0;
    for (let i = from; i < to; i++) {
      switch (kind[i]) {
        case Op.LIMIT_GTC:
        case Op.LIMIT_IOC:
          lo.id = ids[orderId[i]!]!;
          lo.side = side[i] === 0 ? NobSide.BUY : NobSide.SELL;
          lo.size = qty[i]!;
          lo.price = price[i]!;
          lo.timeInForce = kind[i] === Op.LIMIT_GTC ? GTC : IOC;
          if (ob.limit(lo).err === null) seen++;
          break;
        case Op.MARKET:
          mo.side = side[i] === 0 ? NobSide.BUY : NobSide.SELL;
          mo.size = qty[i]!;
          if (ob.market(mo).err === null) seen++;
          break;
        case Op.CANCEL:
          if (ob.cancel(ids[orderId[i]!]!) !== undefined) seen++;
          break;
        case Op.MOVE:
          up.price = price[i]!;
          if (ob.modify(ids[orderId[i]!]!, up).err === null) seen++;
          break;
      }
    }
    return seen;
  }

  /** Per-op timing, durations (ns) into lat[i - from]. */
  runTimed(s: Stream, from: number, to: number, lat: Float64Array): void {
    const now = Bun.nanoseconds;
    for (let i = from; i < to; i++) {
      const t0 = now();
      this.run(s, i, i + 1);
      lat[i - from] = now() - t0;
    }
  }
}

/** Order id strings "1".."maxOrderId", indexed by id; built once per stream, untimed. */
export function idStrings(s: Stream): string[] {
  const ids = new Array<string>(s.maxOrderId + 1);
  ids[0] = "0";
  for (let i = 1; i <= s.maxOrderId; i++) ids[i] = String(i);
  return ids;
}

export interface NobCheck {
  ok: boolean;
  problems: string[];
}

/** Runs the whole stream on a fresh book and checks the final book against the generator's model. */
export function verifyNob(s: Stream, ids: string[]): NobCheck {
  const r = new NobRunner(ids);
  const seen = r.run(s, 0, s.length);
  const [asks, bids] = r.ob.depth();
  const f = s.stats.final;
  const vol = (ls: [number, number][]) => ls.reduce((a, l) => a + l[1], 0);
  const problems: string[] = [];
  if (seen !== s.length) problems.push(`${s.length - seen} ops failed (error or order not found)`);
  if (bids.length !== f.bidLevels || asks.length !== f.askLevels) problems.push(`levels ${bids.length}/${asks.length} ≠ model ${f.bidLevels}/${f.askLevels}`);
  if (vol(bids) !== f.bidVolume || vol(asks) !== f.askVolume) problems.push(`volume ${vol(bids)}/${vol(asks)} ≠ model ${f.bidVolume}/${f.askVolume}`);
  return { ok: problems.length === 0, problems };
}
