import { Command, CommandType, OrderType, Side, TimeInForce } from "../engine/commands.ts";
import type { ExchangeConfig } from "../engine/exchange.ts";

/**
 * A seeded stream of plausible trading commands for the configured accounts and instruments:
 * limit orders a few ticks around a drifting mid, cancels of recent orders, some market orders.
 * Used by `bourse start` to exercise a data directory and by the crash test as its load loop.
 * Order ids only need to be unique among open orders; the stream numbers them from `firstId`.
 */
export class LoadStream {
  private state: Uint32Array;
  private readonly mids: number[];
  private readonly recent: { id: number; account: number; symbol: number }[] = [];
  private nextId: number;

  constructor(
    private readonly config: ExchangeConfig,
    private readonly accounts: number[],
    seed: number,
    firstId: number,
  ) {
    this.state = new Uint32Array([seed >>> 0, 0x9e3779b9, 0x243f6a88, 0xb7e15162]);
    for (let i = 0; i < 12; i++) this.rand();
    this.mids = config.instruments.map((i) => i.referencePrice || 10_000);
    this.nextId = firstId;
  }

  /** sfc32: small, fast, and the same on every platform. */
  private rand(): number {
    const s = this.state;
    const t = (((s[0]! + s[1]!) | 0) + s[3]!) | 0;
    s[3] = (s[3]! + 1) | 0;
    s[0] = s[1]! ^ (s[1]! >>> 9);
    s[1] = (s[2]! + (s[2]! << 3)) | 0;
    s[2] = (s[2]! << 21) | (s[2]! >>> 11);
    s[2] = (s[2]! + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** Fills `cmd` with the next command of the stream. */
  next(cmd: Command): Command {
    cmd.reset();
    const r = this.rand();
    if (r < 0.15 && this.recent.length > 0) {
      const i = Math.floor(this.rand() * this.recent.length);
      const o = this.recent[i]!;
      this.recent[i] = this.recent[this.recent.length - 1]!;
      this.recent.pop();
      cmd.type = CommandType.CANCEL;
      cmd.orderId = o.id;
      cmd.account = o.account;
      cmd.symbol = o.symbol;
      return cmd;
    }
    const k = Math.floor(this.rand() * this.config.instruments.length);
    const inst = this.config.instruments[k]!;
    const mid = (this.mids[k] = Math.max(10, this.mids[k]! + Math.floor(this.rand() * 3) - 1));
    cmd.type = CommandType.NEW_ORDER;
    cmd.orderId = this.nextId++;
    cmd.account = this.pick(this.accounts);
    cmd.symbol = inst.id;
    cmd.side = this.rand() < 0.5 ? Side.BUY : Side.SELL;
    cmd.qty = 1 + Math.floor(this.rand() * 20);
    cmd.clientOrderId = `L${cmd.orderId}`;
    if (r > 0.95) {
      cmd.orderType = OrderType.MARKET;
      cmd.tif = TimeInForce.IOC;
      return cmd;
    }
    const offset = 1 + Math.floor(this.rand() * 8);
    cmd.price = cmd.side === Side.BUY ? mid - offset + (r > 0.85 ? 9 : 0) : mid + offset - (r > 0.85 ? 9 : 0);
    cmd.tif = TimeInForce.GTC;
    this.recent.push({ id: cmd.orderId, account: cmd.account, symbol: cmd.symbol });
    if (this.recent.length > 2000) this.recent.splice(0, 1000);
    return cmd;
  }
}
