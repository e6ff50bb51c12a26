/**
 * What bench/fix-drive.ts sends: slot sources, the order stream of ws-drive.ts's RestingFlow as FIX
 * NewOrderSingle / OrderCancelRequest, written in place or as fields for the codec.
 */
import type { Field } from "../gateway/fix/message.ts";
import { ascii, SOH, FixWriter, T } from "./fix-bytes.ts";

// ---------------------------------------------------------------- flows

/** Builds slot k of connection c (request j) as a FIX message: app fields into w; returns MsgType. */
export interface FixSlotSource {
  begin(run: number, perConn: number, n: number): void;
  /** Writes the fields after the standard header (from tag 11 on) into w; returns the MsgType. */
  write(w: FixWriter, c: number, k: number, j: number, transactTime: string): string;
  /** The same message as fields after the header (for encodeFix). */
  fields(c: number, k: number, j: number, transactTime: string): { type: string; body: Field[] };
  /** Kind of the slot last built (0 new order, 1 cancel). */
  kind: number;
}

export const T11 = T(11);
export const T38 = T(38);
export const T40 = T(40);
export const T41 = T(41);
export const T44 = T(44);
export const T54 = T(54);
export const T55 = T(55);
export const T59 = T(59);
export const T60 = T(60);

/**
 * bench/ws-drive.ts's RestingFlow as FIX messages: NewOrderSingle limit GTC orders of 1 lot that
 * never cross (buys 2–201 ticks below the reference, sells 2–201 above, the same price for the same
 * (connection, order) as RestingFlow; connections of an account without the base currency only
 * buy), and OrderCancelRequests of the connection's order placed 2L+1 slots earlier, named by its
 * OrigClOrdID (41) — the FIX way, so no ExecutionReport has to come back first: when the order is
 * not known yet (the server is behind) the door answers OrderCancelReject 102=1 at once, the
 * request stream stays the same whatever the server does. Per connection: slots 0..L−1 are orders
 * 0..L−1; then orders and cancels alternate (order L, cancel 0, order L+1, cancel 1, …).
 *
 * Every order carries a ClOrdID (FIX requires one) and the door passes it on as the engine's client
 * order id, so the engine keeps it in its idempotency index: the WebSocket run it is compared with
 * uses RestingFlow with `clientIds` for the same reason (bench/fix.ts, `--ws-order-ids` to turn off).
 */
export class FixRestingFlow implements FixSlotSource {
  kind = 0;
  private run = 0;
  private lag = 2;
  private n = 1;
  private readonly priceBytes = new Map<number, { text: string; bytes: Uint8Array }>();
  private readonly symbolBytes: Uint8Array;
  private readonly qtyBytes: Uint8Array;

  constructor(
    /** Reference price in ticks. */
    private readonly ref: number,
    /** Per connection: may it sell (holds the base currency)? */
    private readonly canSell: boolean[],
    /** Ticks → price text (formatPrice of the instrument). */
    private readonly priceText: (ticks: number) => string,
    readonly symbol: string,
    /** One lot as text (formatQty(inst, 1)). */
    readonly qty: string,
    /** Cancel lag in slots per connection, for the next run (set from the rate). */
    public lagSlots = 64,
  ) {
    this.symbolBytes = ascii(symbol);
    this.qtyBytes = ascii(qty);
  }

  begin(run: number, _perConn: number, n: number): void {
    this.run = run;
    this.n = n;
    this.lag = Math.max(2, this.lagSlots);
  }

  private price(ticks: number): { text: string; bytes: Uint8Array } {
    let p = this.priceBytes.get(ticks);
    if (!p) {
      const text = this.priceText(ticks);
      p = { text, bytes: ascii(text) };
      this.priceBytes.set(ticks, p);
    }
    return p;
  }

  /** Slot k → order number q, or −(q+1) for the cancel of order q. */
  private slot(k: number): number {
    const L = this.lag;
    if (k < L) return k;
    if (((k - L) & 1) === 0) return L + ((k - L) >> 1);
    return -(((k - L - 1) >> 1) + 1);
  }

  /** The request index of connection c's order q. */
  private orderJ(c: number, q: number): number {
    const L = this.lag;
    const k = q < L ? q : L + 2 * (q - L);
    return k * this.n + c;
  }

  private side(c: number, q: number): boolean {
    return this.canSell[c]! && (q & 1) === 1;
  }

  write(w: FixWriter, c: number, k: number, j: number, transactTime: string): string {
    const s = this.slot(k);
    if (s < 0) {
      const q = -s - 1;
      this.kind = 1;
      w.raw(T11);
      w.int(this.run);
      w.byte(0x2e);
      w.int(j);
      w.byte(SOH);
      w.raw(T41);
      w.int(this.run);
      w.byte(0x2e);
      w.int(this.orderJ(c, q));
      w.byte(SOH);
      w.raw(T55);
      w.raw(this.symbolBytes);
      w.byte(SOH);
      w.raw(T54);
      w.byte(this.side(c, q) ? 0x32 : 0x31);
      w.byte(SOH);
      w.raw(T38);
      w.raw(this.qtyBytes);
      w.byte(SOH);
      w.field(T60, transactTime);
      return "F";
    }
    const q = s;
    this.kind = 0;
    const sell = this.side(c, q);
    const off = 2 + ((q * 7 + c * 13) % 200);
    w.raw(T11);
    w.int(this.run);
    w.byte(0x2e);
    w.int(j);
    w.byte(SOH);
    w.raw(T55);
    w.raw(this.symbolBytes);
    w.byte(SOH);
    w.raw(T54);
    w.byte(sell ? 0x32 : 0x31);
    w.byte(SOH);
    w.field(T60, transactTime);
    w.raw(T38);
    w.raw(this.qtyBytes);
    w.byte(SOH);
    w.raw(T40);
    w.byte(0x32);
    w.byte(SOH);
    w.raw(T44);
    w.raw(this.price(sell ? this.ref + off : this.ref - off).bytes);
    w.byte(SOH);
    w.raw(T59);
    w.byte(0x31);
    w.byte(SOH);
    return "D";
  }

  fields(c: number, k: number, j: number, transactTime: string): { type: string; body: Field[] } {
    const s = this.slot(k);
    if (s < 0) {
      const q = -s - 1;
      this.kind = 1;
      return {
        type: "F",
        body: [
          [11, `${this.run}.${j}`],
          [41, `${this.run}.${this.orderJ(c, q)}`],
          [55, this.symbol],
          [54, this.side(c, q) ? "2" : "1"],
          [38, this.qty],
          [60, transactTime],
        ],
      };
    }
    const q = s;
    this.kind = 0;
    const sell = this.side(c, q);
    const off = 2 + ((q * 7 + c * 13) % 200);
    return {
      type: "D",
      body: [
        [11, `${this.run}.${j}`],
        [55, this.symbol],
        [54, sell ? "2" : "1"],
        [60, transactTime],
        [38, this.qty],
        [40, "2"],
        [44, this.price(sell ? this.ref + off : this.ref - off).text],
        [59, "1"],
      ],
    };
  }
}
