import { SnapshotCorruptError } from "./errors.ts";
import { Side } from "./commands.ts";
import { specOf } from "./instrument.ts";
import { MatchingEngine, type OrderView } from "./matching.ts";

/**
 * The whole matching state as bytes. The layout is canonical — instruments by ascending id,
 * resting orders best level first in queue order, stops in trigger order — so the same state
 * always gives the same bytes, whatever slots or hash order the running engine happened to use.
 * Little-endian; every number a float64 (they are all integers ≤ 2^53).
 *
 *   "BRSE" u32 version  f64 tradeSeq  f64 entrySeq  u32 instrumentCount
 *   per instrument: str spec (canonical JSON), f64 lastPrice,
 *                   u8 sessionOpen, f64 sessionUntil, u8 halted, f64 haltedUntil, f64 haltReason,
 *                   f64 dayEndDue (version 3 on; Infinity when no session close awaits END_OF_DAY),
 *                   f64s volatility lows, f64s volatility highs,
 *                   u32 orderCount, orders (bids, asks, buy stops, sell stops, queue)
 *   order: 15 f64 (ORDER_FIELDS) + u8 status (1 resting, 2 stop, 3 queued)
 *   f64s: u32 count + count f64
 *   str: u32 byte length + UTF-8
 */
const MAGIC = 0x45535242; // "BRSE"
const VERSION = 3;
/** Version 2 lacks dayEndDue; it reads as none pending. */
const OLDEST_READABLE = 2;
const STATUS_CODES = { resting: 1, stop: 2, queued: 3 } as const;
const STATUS_NAMES = ["", "resting", "stop", "queued"] as const;

const ORDER_FIELDS = [
  "orderId",
  "account",
  "side",
  "orderType",
  "tif",
  "price",
  "stopPrice",
  "qty",
  "leaves",
  "filled",
  "cancelled",
  "stp",
  "flags",
  "expireTime",
  "entrySeq",
] as const;

class Writer {
  private buf = new ArrayBuffer(1 << 12);
  private view = new DataView(this.buf);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = new ArrayBuffer(size);
    new Uint8Array(next).set(new Uint8Array(this.buf, 0, this.pos));
    this.buf = next;
    this.view = new DataView(next);
  }

  u8(v: number): void {
    this.ensure(1);
    this.view.setUint8(this.pos, v);
    this.pos += 1;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  f64s(values: number[]): void {
    this.u32(values.length);
    for (const v of values) this.f64(v);
  }

  str(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u32(bytes.length);
    this.ensure(bytes.length);
    new Uint8Array(this.buf, this.pos, bytes.length).set(bytes);
    this.pos += bytes.length;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.buf.slice(0, this.pos));
  }
}

class Reader {
  private view: DataView;
  private pos = 0;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  private need(n: number): void {
    if (this.pos + n > this.data.byteLength) throw new SnapshotCorruptError(`snapshot truncated at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f64s(): number[] {
    const n = this.u32();
    this.need(n * 8);
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.f64());
    return out;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const s = new TextDecoder().decode(this.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }

  get done(): boolean {
    return this.pos === this.data.byteLength;
  }
}

export function writeSnapshot(engine: MatchingEngine): Uint8Array {
  const w = new Writer();
  w.u32(MAGIC);
  w.u32(VERSION);
  w.f64(engine.tradeSeq);
  w.f64(engine.entrySeq);
  const symbols = [...engine.books.keys()].sort((a, b) => a - b);
  w.u32(symbols.length);
  for (const id of symbols) {
    const book = engine.books.get(id)!;
    w.str(JSON.stringify(specOf(book.instrument)));
    w.f64(book.lastPrice);
    w.u8(book.sessionOpen ? 1 : 0);
    w.f64(book.sessionUntil);
    w.u8(book.halted ? 1 : 0);
    w.f64(book.haltedUntil);
    w.f64(book.haltReason);
    w.f64(book.dayEndDue);
    const vol = book.volatility.state();
    w.f64s(vol.lows);
    w.f64s(vol.highs);
    const orders = [
      ...engine.orders(id, Side.BUY),
      ...engine.orders(id, Side.SELL),
      ...engine.stops(id, Side.BUY),
      ...engine.stops(id, Side.SELL),
      ...engine.queued(id),
    ];
    w.u32(orders.length);
    for (const o of orders) {
      for (const f of ORDER_FIELDS) w.f64(o[f]);
      w.u8(STATUS_CODES[o.status]);
    }
  }
  return w.bytes();
}

export function readSnapshot(bytes: Uint8Array): MatchingEngine {
  const r = new Reader(bytes);
  if (r.u32() !== MAGIC) throw new SnapshotCorruptError("not a Bourse engine snapshot (bad magic)");
  const version = r.u32();
  if (version < OLDEST_READABLE || version > VERSION) throw new SnapshotCorruptError(`unsupported snapshot version ${version}`);
  const engine = new MatchingEngine();
  const tradeSeq = r.f64();
  const entrySeq = r.f64();
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const inst = engine.addInstrument(JSON.parse(r.str()));
    const id = inst.id;
    const book = engine.books.get(id)!;
    book.lastPrice = r.f64();
    book.sessionOpen = r.u8() === 1;
    book.sessionUntil = r.f64();
    book.halted = r.u8() === 1;
    book.haltedUntil = r.f64();
    book.haltReason = r.f64();
    if (version >= 3) book.dayEndDue = r.f64();
    book.volatility.load({ lows: r.f64s(), highs: r.f64s() });
    const n = r.u32();
    for (let k = 0; k < n; k++) {
      const o = { symbol: id } as OrderView;
      const rec = o as unknown as Record<string, number>;
      for (const f of ORDER_FIELDS) rec[f] = r.f64();
      const status = r.u8();
      if (status < 1 || status > 3) throw new SnapshotCorruptError(`snapshot order ${o.orderId}: bad status ${status}`);
      o.status = STATUS_NAMES[status] as OrderView["status"];
      engine.restoreOrder(o);
    }
  }
  if (!r.done) throw new SnapshotCorruptError("snapshot has trailing bytes");
  engine.marketStateChanged();
  engine.tradeSeq = tradeSeq;
  engine.entrySeq = entrySeq;
  return engine;
}
