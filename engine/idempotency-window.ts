import { InvariantError } from "./errors.ts";
import type { OmsOrder } from "./orders.ts";
import { grown } from "./typed-arrays.ts";

/**
 * (account, clientOrderId) → order, for `windowUs` of engine time after submission and for as
 * long as the order is open, whichever is longer; entries leave in submission order (a FIFO), so
 * eviction is deterministic and O(1) per order. docs/accounts.md, Idempotency.
 *
 * Compact because it is the one structure that grows with traffic rather than with open orders:
 * every order with a client order id stays a day. Kept as objects (the order, a Map entry and its
 * string key) each cost about 3 KB of resident memory across the engine and its snapshot replica;
 * here an entry is a row of typed-array columns (~52 bytes), its id's bytes in a shared arena, a
 * slot of an open-addressing table and one of a ring — no object and no garbage per order.
 *
 * An open entry holds only its key and order id: the duplicate answer is read from the open order
 * (Exchange.open). When the order is done its answer — the fields a DUPLICATE event carries — is
 * copied into the row. Client order ids are printable ASCII of at most 36 characters
 * (validClientOrderId), so they are stored exactly as bytes and compared exactly: a hash
 * collision costs a probe, never a false duplicate.
 */
const OPEN = 255;
/** Row flags: still in the eviction ring (not yet passed), still findable in the table. */
const IN_RING = 1;
const IN_TABLE = 2;

/** What a duplicate of a done order is answered with (and what queries see). */
export interface RememberedOrder {
  orderId: number;
  account: number;
  clientOrderId: string;
  submitTime: number;
  symbol: number;
  side: number;
  price: number;
  filled: number;
  leaves: number;
  state: number;
}

export interface WindowOptions {
  /** Initial rows (grows by a quarter when full). */
  rows?: number;
  /** Tests only: a hash that puts every id of an account on one home slot, to prove exact comparison. */
  weakHash?: boolean;
}

export class IdempotencyWindow {
  // Rows, struct of arrays. A free row's idOff links the free list.
  private account: Float64Array;
  private orderIds: Float64Array;
  private time: Float64Array;
  private price: Float64Array;
  private filled: Float64Array;
  private symbol: Int32Array;
  private idOff: Int32Array;
  private side: Uint8Array;
  private state: Uint8Array;
  private flags: Uint8Array;
  private idLen: Uint8Array;
  private rows: number;
  /** Rows below `top` have been used; above it they are fresh. */
  private top = 0;
  private freeHead = -1;
  /** Rows in use (in the ring, the table, or both). */
  live = 0;

  // Id bytes, appended; freed bytes are reclaimed by compaction when the arena fills.
  private bytes: Uint8Array;
  private bytesEnd = 0;
  private bytesDead = 0;

  // Open addressing, linear probing, row + 1 per slot (0 = empty); backward-shift deletion.
  private table: Int32Array;
  private mask: number;
  /** Entries findable: open orders, and done ones within their window. */
  size = 0;

  // Rows in submission order, for eviction.
  private ring: Int32Array;
  private ringHead = 0;
  private ringCount = 0;

  private readonly weak: boolean;

  constructor(
    readonly windowUs: number,
    options: WindowOptions = {},
  ) {
    const rows = Math.max(4, options.rows ?? 1024);
    this.weak = options.weakHash ?? false;
    this.rows = rows;
    this.account = new Float64Array(rows);
    this.orderIds = new Float64Array(rows);
    this.time = new Float64Array(rows);
    this.price = new Float64Array(rows);
    this.filled = new Float64Array(rows);
    this.symbol = new Int32Array(rows);
    this.idOff = new Int32Array(rows);
    this.side = new Uint8Array(rows);
    this.state = new Uint8Array(rows);
    this.flags = new Uint8Array(rows);
    this.idLen = new Uint8Array(rows);
    this.bytes = new Uint8Array(rows * 16);
    let t = 16;
    while (t < rows * 2) t *= 2;
    this.table = new Int32Array(t);
    this.mask = t - 1;
    let r = 16;
    while (r < rows) r *= 2;
    this.ring = new Int32Array(r);
  }

  // ---------------------------------------------------------------- lookups

  /** The row of (account, clientOrderId), or −1. */
  find(account: number, clientOrderId: string): number {
    const table = this.table;
    const mask = this.mask;
    const len = clientOrderId.length;
    for (let i = this.hashText(account, clientOrderId) & mask; table[i] !== 0; i = (i + 1) & mask) {
      const row = table[i]! - 1;
      if (this.account[row] === account && this.idLen[row] === len && this.sameBytes(row, clientOrderId)) return row;
    }
    return -1;
  }

  /** An open row's answer is its order in Exchange.open; a done row's is in the row. */
  isOpen(row: number): boolean {
    return this.state[row] === OPEN;
  }
  orderIdAt(row: number): number {
    return this.orderIds[row]!;
  }
  symbolAt(row: number): number {
    return this.symbol[row]!;
  }
  sideAt(row: number): number {
    return this.side[row]!;
  }
  priceAt(row: number): number {
    return this.price[row]!;
  }
  filledAt(row: number): number {
    return this.filled[row]!;
  }
  stateAt(row: number): number {
    return this.state[row]!;
  }
  submitTimeAt(row: number): number {
    return this.time[row]!;
  }
  accountAt(row: number): number {
    return this.account[row]!;
  }
  /**
   * Where `row`'s id bytes lie in `idArena` (one byte a character): the snapshot writer
   * (engine/window-json.ts) copies them from there instead of making a string per id. Read only.
   */
  idStartAt(row: number): number {
    return this.idOff[row]!;
  }
  idLengthAt(row: number): number {
    return this.idLen[row]!;
  }
  get idArena(): Uint8Array {
    return this.bytes;
  }
  clientOrderIdAt(row: number): string {
    const off = this.idOff[row]!;
    return String.fromCharCode(...this.bytes.subarray(off, off + this.idLen[row]!));
  }

  /** A done row as a plain record (queries and snapshots, not the matching path). */
  remembered(row: number): RememberedOrder {
    return {
      orderId: this.orderIds[row]!,
      account: this.account[row]!,
      clientOrderId: this.clientOrderIdAt(row),
      submitTime: this.time[row]!,
      symbol: this.symbol[row]!,
      side: this.side[row]!,
      price: this.price[row]!,
      filled: this.filled[row]!,
      leaves: 0,
      state: this.state[row]!,
    };
  }

  // ---------------------------------------------------------------- changes

  /** An accepted order with a client order id; the caller has checked the key is not present. */
  add(o: OmsOrder): void {
    const row = this.addRow(o.account, o.clientOrderId, o.submitTime, o.orderId);
    this.state[row] = OPEN;
  }

  /** A done order as a snapshot restores it: same as added open and then closed in its window. */
  addDone(r: RememberedOrder): void {
    const row = this.addRow(r.account, r.clientOrderId, r.submitTime, r.orderId);
    this.setDone(row, r.symbol, r.side, r.price, r.filled, r.state);
  }

  /** Called when an order is done: its answer moves into the row; if its window already passed, it goes now. */
  closed(o: OmsOrder, now: number): void {
    const row = this.find(o.account, o.clientOrderId);
    if (row < 0 || this.orderIds[row] !== o.orderId || this.state[row] !== OPEN) {
      throw new InvariantError(`order ${o.orderId} closed but its client order id is not indexed as open`);
    }
    // A DUPLICATE of a done order reports leaves 0; every done state leaves none (exchange.ts R2).
    if (o.leaves !== 0) throw new InvariantError(`order ${o.orderId} closed with leaves ${o.leaves}`);
    this.setDone(row, o.symbol, o.side, o.price, o.filled, o.state);
    if (o.submitTime <= now - this.windowUs) this.unindex(row);
  }

  /** Forgets done orders submitted at or before `now − window`; an open one stays until it is done. */
  evict(now: number): void {
    const cutoff = now - this.windowUs;
    const ring = this.ring;
    const rmask = ring.length - 1;
    while (this.ringCount > 0) {
      const row = ring[this.ringHead]!;
      if (this.time[row]! > cutoff) return;
      this.ringHead = (this.ringHead + 1) & rmask;
      this.ringCount--;
      this.flags[row]! &= ~IN_RING;
      if ((this.flags[row]! & IN_TABLE) !== 0 && this.state[row] !== OPEN) this.unindex(row);
      else if (this.flags[row] === 0) this.freeRow(row);
    }
  }

  /** Every findable row, in submission order (ties by order id): what a snapshot writes. */
  rowsInOrder(): number[] {
    const out: number[] = [];
    for (let row = 0; row < this.top; row++) if ((this.flags[row]! & IN_TABLE) !== 0) out.push(row);
    return out.sort((a, b) => this.time[a]! - this.time[b]! || this.orderIds[a]! - this.orderIds[b]!);
  }

  /** Bytes held by the typed arrays (the bench's bytes per remembered id). */
  get footprint(): number {
    return this.rows * (5 * 8 + 2 * 4 + 4) + this.bytes.length + this.table.byteLength + this.ring.byteLength;
  }

  // ---------------------------------------------------------------- rows

  private addRow(account: number, clientOrderId: string, time: number, orderId: number): number {
    const row = this.allocRow();
    const len = clientOrderId.length;
    if (this.bytesEnd + len > this.bytes.length) this.compact(len);
    const off = this.bytesEnd;
    const bytes = this.bytes;
    for (let k = 0; k < len; k++) bytes[off + k] = clientOrderId.charCodeAt(k);
    this.bytesEnd = off + len;
    this.idOff[row] = off;
    this.idLen[row] = len;
    this.account[row] = account;
    this.orderIds[row] = orderId;
    this.time[row] = time;
    this.flags[row] = IN_RING | IN_TABLE;
    this.insert(row);
    this.pushRing(row);
    return row;
  }

  private setDone(row: number, symbol: number, side: number, price: number, filled: number, state: number): void {
    this.symbol[row] = symbol;
    this.side[row] = side;
    this.price[row] = price;
    this.filled[row] = filled;
    this.state[row] = state;
  }

  /** Out of the table; the row itself goes once the ring has passed it too. */
  private unindex(row: number): void {
    this.remove(row);
    this.flags[row]! &= ~IN_TABLE;
    if (this.flags[row] === 0) this.freeRow(row);
  }

  private allocRow(): number {
    let row = this.freeHead;
    if (row >= 0) this.freeHead = this.idOff[row]!;
    else {
      if (this.top === this.rows) this.growRows();
      row = this.top++;
    }
    this.live++;
    return row;
  }

  private freeRow(row: number): void {
    this.bytesDead += this.idLen[row]!;
    this.idOff[row] = this.freeHead;
    this.freeHead = row;
    this.live--;
  }

  private growRows(): void {
    // By a quarter: a full window sits at most 25% above its rows (amortized O(1) still).
    const rows = this.rows + (this.rows >> 2);
    this.account = grown(this.account, rows);
    this.orderIds = grown(this.orderIds, rows);
    this.time = grown(this.time, rows);
    this.price = grown(this.price, rows);
    this.filled = grown(this.filled, rows);
    this.symbol = grown(this.symbol, rows);
    this.idOff = grown(this.idOff, rows);
    this.side = grown(this.side, rows);
    this.state = grown(this.state, rows);
    this.flags = grown(this.flags, rows);
    this.idLen = grown(this.idLen, rows);
    this.rows = rows;
  }

  /**
   * The arena is full: copy the live ids into a new one half again their size, so the next
   * compaction is half the live bytes' worth of appends away — in a full window, twice per
   * turnover of the window (two copies a byte; a 2M-id window pauses a few ms twice a day). The
   * arena then averages 1.25× the live bytes. It shrinks as well as grows, so a window that
   * empties gives its memory back.
   */
  private compact(need: number): void {
    const liveBytes = this.bytesEnd - this.bytesDead;
    const size = Math.max(4096, Math.ceil(((liveBytes + need) * 3) / 2));
    const next = new Uint8Array(size);
    const old = this.bytes;
    let end = 0;
    for (let row = 0; row < this.top; row++) {
      if (this.flags[row] === 0) continue;
      const off = this.idOff[row]!;
      const len = this.idLen[row]!;
      next.set(old.subarray(off, off + len), end);
      this.idOff[row] = end;
      end += len;
    }
    this.bytes = next;
    this.bytesEnd = end;
    this.bytesDead = 0;
  }

  private sameBytes(row: number, text: string): boolean {
    const bytes = this.bytes;
    const off = this.idOff[row]!;
    for (let k = 0; k < text.length; k++) if (bytes[off + k] !== text.charCodeAt(k)) return false;
    return true;
  }

  // ---------------------------------------------------------------- table

  private hashText(account: number, text: string): number {
    let h = hashStart(account);
    if (this.weak) return h;
    for (let k = 0; k < text.length; k++) h = Math.imul(h ^ text.charCodeAt(k), 0x01000193);
    return fmix(h);
  }

  private hashRow(row: number): number {
    let h = hashStart(this.account[row]!);
    if (this.weak) return h;
    const bytes = this.bytes;
    const off = this.idOff[row]!;
    const end = off + this.idLen[row]!;
    for (let k = off; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    return fmix(h);
  }

  private insert(row: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.hashRow(row) & mask;
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = row + 1;
    // Grow past 0.6 load: linear probing's runs stay short below it.
    if (++this.size * 5 > table.length * 3) this.growTable();
  }

  private remove(row: number): void {
    const table = this.table;
    const mask = this.mask;
    let i = this.hashRow(row) & mask;
    while (table[i] !== row + 1) {
      if (table[i] === 0) throw new InvariantError(`idempotency row ${row} is not in its table`);
      i = (i + 1) & mask;
    }
    // Backward shift: pull later members of the run into the hole when their home allows, so
    // deletions leave no tombstones and probes stay as short as a fresh table's.
    let hole = i;
    let j = (i + 1) & mask;
    while (table[j] !== 0) {
      const h = this.hashRow(table[j]! - 1) & mask;
      const between = hole <= j ? h > hole && h <= j : h > hole || h <= j;
      if (!between) {
        table[hole] = table[j]!;
        hole = j;
      }
      j = (j + 1) & mask;
    }
    table[hole] = 0;
    this.size--;
  }

  private growTable(): void {
    const old = this.table;
    this.table = new Int32Array(old.length * 2);
    this.mask = this.table.length - 1;
    this.size = 0;
    for (let i = 0; i < old.length; i++) if (old[i] !== 0) this.insert(old[i]! - 1);
  }

  // ---------------------------------------------------------------- ring

  private pushRing(row: number): void {
    if (this.ringCount === this.ring.length) {
      const old = this.ring;
      const next = new Int32Array(old.length * 2);
      for (let k = 0; k < this.ringCount; k++) next[k] = old[(this.ringHead + k) & (old.length - 1)]!;
      this.ring = next;
      this.ringHead = 0;
    }
    this.ring[(this.ringHead + this.ringCount++) & (this.ring.length - 1)] = row;
  }
}

/** FNV-1a over the account's two 32-bit halves, then the id's bytes; murmur3's finalizer spreads it. */
function hashStart(account: number): number {
  let h = Math.imul(0x811c9dc5 ^ (account >>> 0), 0x01000193);
  return Math.imul(h ^ ((account / 4294967296) >>> 0), 0x01000193);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
